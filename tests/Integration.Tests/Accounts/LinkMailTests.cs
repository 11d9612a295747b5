using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.TestSupport;
using MimeKit;

namespace CartoSelfHosted.Integration.Tests.Accounts;

/// <summary>
/// With a mail server configured, invitation and password-reset links reach their addresses by SMTP — a real server,
/// nodemailer's smtp-server (npm, <c>SmtpSink/</c>, installed by ./test.sh) — and a mail server that does not answer
/// costs an invitation nothing.
/// </summary>
public sealed class LinkMailTests : IAsyncLifetime
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private readonly int _port = LoopbackPorts.Free();
    private readonly ConcurrentQueue<MimeMessage> _received = new();
    private Process _sink = null!;
    private AccountsInstallation _installation = null!;

    public async ValueTask InitializeAsync()
    {
        _sink = await StartSinkAsync();
        _installation = await AccountsInstallation.StartAsync("acc_mail", new Dictionary<string, string>
        {
            ["Accounts:Smtp:Host"] = "127.0.0.1",
            ["Accounts:Smtp:Port"] = _port.ToString(CultureInfo.InvariantCulture),
            ["Accounts:Smtp:Security"] = "None",
            ["Accounts:Smtp:From"] = "CartoSelfHosted <platform@example.com>",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _installation.DisposeAsync();
        StopSink();
    }

    [Fact]
    public async Task AnInvitationAndAPasswordResetAreMailedToTheirAddressesAndTheMailedLinkWorks()
    {
        var admin = await _installation.SignUpAdminAsync();

        var invited = await _installation.InviteAsync(admin.AccessToken, "new.colleague@example.com", PlatformRoles.Editor);
        var invitation = await ReceivedAsync("new.colleague@example.com");
        Assert.Equal("platform@example.com", invitation.From.Mailboxes.Single().Address);
        Assert.Equal("You are invited to CartoSelfHosted", invitation.Subject);
        Assert.Equal(invited, AccountsInstallation.LinkToken(LinkIn(invitation, "/acc/invitation")));

        using (await _installation.PostAsync(null, "/api/v3/accounts/password-resets", new { email = AccountsInstallation.AdminEmail }))
        {
        }
        var reset = await ReceivedAsync(AccountsInstallation.AdminEmail);
        Assert.Equal("Reset your CartoSelfHosted password", reset.Subject);
        // The mailed link is the one that works.
        using (var completed = await _installation.PostAsync(null, "/api/v3/accounts/password-resets/complete", new
        {
            token = AccountsInstallation.LinkToken(LinkIn(reset, "/acc/reset-password")), password = "a brand new passphrase",
        }))
        {
            Assert.Equal(HttpStatusCode.NoContent, completed.StatusCode);
        }
        // A reset ends every session: the admin signs in again, with the new password.
        admin = await _installation.SignInAsync(AccountsInstallation.AdminEmail, "a brand new passphrase");

        // An address without an account gets no mail (and the same 202).
        using (var unknown = await _installation.PostAsync(null, "/api/v3/accounts/password-resets", new { email = "nobody@example.com" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, unknown.StatusCode);
        }

        // The mail server gone: an invitation is made all the same, its link in the answer.
        StopSink();
        var stopWatch = Stopwatch.StartNew();
        var unsent = await _installation.InviteAsync(admin.AccessToken, "later@example.com", PlatformRoles.Viewer);
        Assert.False(string.IsNullOrEmpty(unsent));
        Assert.True(stopWatch.Elapsed < TimeSpan.FromSeconds(5), $"the invitation waited {stopWatch.ElapsedMilliseconds} ms on the mail server");
        Assert.DoesNotContain(_received, message => message.To.Mailboxes.Any(to => to.Address == "nobody@example.com"));
    }

    [Fact]
    public async Task AMailServerWithoutASenderAddressIsRefusedAtStart()
    {
        // WebApplicationFactory may report a host that failed to start as an ObjectDisposedException (its service provider
        // disposed before the start's own exception came through; seen once in CI): such a start is tried again. Every
        // start must fail, and the reason, once it comes through, must name the setting.
        var errors = new List<Exception>();
        for (var attempt = 0; attempt < 3 && errors.LastOrDefault() is null or ObjectDisposedException; attempt++)
        {
            errors.Add(await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await using var misconfigured = await AccountsInstallation.StartAsync($"acc_mail_bad{attempt}", new Dictionary<string, string>
                {
                    ["Accounts:Smtp:Host"] = "127.0.0.1",
                });
            }));
        }
        Assert.True(errors[^1].ToString().Contains("Accounts:Smtp:From", StringComparison.Ordinal), string.Join("\n---\n", errors));
    }

    /// <summary>The link to <paramref name="page"/> in the message's text.</summary>
    private static string LinkIn(MimeMessage message, string page) =>
        message.TextBody!.Split((char[])['\n', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Single(word => word.StartsWith("http://", StringComparison.Ordinal) && word.Contains(page, StringComparison.Ordinal));

    private async Task<MimeMessage> ReceivedAsync(string address)
    {
        MimeMessage? found = null;
        await Eventually.WaitUntilAsync(() => Task.FromResult((found = _received.FirstOrDefault(message =>
                message.To.Mailboxes.Any(to => to.Address == address))) is not null),
            TimeSpan.FromSeconds(10), $"a message to {address}", Cancel);
        return found!;
    }

    private async Task<Process> StartSinkAsync()
    {
        var start = new ProcessStartInfo("node", "sink.mjs")
        {
            WorkingDirectory = Path.Combine(Repository.Root(), "tests", "Integration.Tests", "SmtpSink"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["SMTP_PORT"] = _port.ToString(CultureInfo.InvariantCulture) },
        };
        var sink = Process.Start(start)!;
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sink.OutputDataReceived += (_, line) =>
        {
            if (line.Data == "listening")
            {
                listening.TrySetResult();
            }
            else if (line.Data is { Length: > 0 } json)
            {
                var data = JsonDocument.Parse(json).RootElement.GetProperty("data").GetString()!;
                _received.Enqueue(MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(data))));
            }
        };
        sink.BeginOutputReadLine();
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(20), Cancel);
        return sink;
    }

    private void StopSink()
    {
        if (!_sink.HasExited)
        {
            _sink.Kill(entireProcessTree: true);
            _sink.WaitForExit();
        }
    }
}
