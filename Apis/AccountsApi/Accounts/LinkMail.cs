using System.Threading.Channels;
using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;
using MimeKit;

namespace CartoSelfHosted.AccountsApi.Accounts;

/// <summary>A one-time link on its way to its addressee.</summary>
public sealed record LinkMessage(string Kind, string Email, string Url, DateTimeOffset ExpiresAt);

/// <summary>
/// Sends invitation and password-reset links by SMTP (MailKit) when <c>Accounts:Smtp:Host</c> is set. Sending happens
/// after the request, from a queue: the request never waits on the mail server (nor fails with it), and a reset takes as
/// long whether its address has an account or not. A link that cannot be sent is still in the log and, for an
/// invitation, in the admin's answer; the queue is in memory, so a link queued when the process stops is not sent.
/// </summary>
public sealed class LinkMail(IOptions<AccountsOptions> options, ILogger<LinkMail> logger) : BackgroundService
{
    // Far more than a burst of invitations; past it the oldest waiting link is dropped rather than memory spent.
    private readonly Channel<LinkMessage> _queue = Channel.CreateBounded<LinkMessage>(
        new BoundedChannelOptions(1_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public bool Enabled => !string.IsNullOrWhiteSpace(options.Value.Smtp.Host);

    public void Send(LinkMessage message)
    {
        if (Enabled)
        {
            _queue.Writer.TryWrite(message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var message in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await SendAsync(message, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Never the link: it is in its own log line already, and only there.
                logger.LogWarning("The {Kind} link for {Email} could not be sent by mail: {Reason}", message.Kind, message.Email, ex.Message);
            }
        }
    }

    private async Task SendAsync(LinkMessage message, CancellationToken cancellationToken)
    {
        var smtp = options.Value.Smtp;
        var mail = new MimeMessage();

        mail.From.Add(MailboxAddress.Parse(smtp.From!));
        mail.To.Add(MailboxAddress.Parse(message.Email));
        var (subject, what) = message.Kind == AccountLinks.Invitation
            ? ("You are invited to CartoSelfHosted", "You are invited to join an organization on CartoSelfHosted. To accept, choose your password here:")
            : ("Reset your CartoSelfHosted password", "Somebody asked to reset the password of this address. If it was you, choose a new one here:");
        mail.Subject = subject;
        mail.Body = new TextPart("plain")
        {
            Text = $"{what}\n\n{message.Url}\n\nThe link works once, until {message.ExpiresAt:u}. If you did not expect it, ignore this message.\n",
        };

        using var client = new SmtpClient { Timeout = 30_000 };
        await client.ConnectAsync(smtp.Host!, smtp.Port, smtp.Security, cancellationToken);
        if (!string.IsNullOrEmpty(smtp.UserName))
        {
            await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", cancellationToken);
        }
        await client.SendAsync(mail, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}
