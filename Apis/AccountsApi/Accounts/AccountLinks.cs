using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Security;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.AccountsApi.Accounts;

public sealed record IssuedLink(Guid Id, string Email, string? Role, DateTimeOffset ExpiresAt, string Url);

/// <summary>What a used link was for.</summary>
public sealed record UsedLink(Guid OrganizationId, string Email, string? Role);

/// <summary>
/// One-time links sent to an address: invitations and password resets. The link carries a token (the platform's token
/// format) of which only the SHA-256 is kept; using it marks it used in the same transaction as what it does.
/// No mail server is needed: the link goes to the log (and an invitation's to the admin who made it); with one
/// configured it is also mailed to its address (<see cref="LinkMail"/>).
/// </summary>
public sealed class AccountLinks(MetadataDatabase metadata, IOptions<AccountsOptions> options, LinkMail mail, ILogger<AccountLinks> logger)
{
    public const string Invitation = "invitation";
    public const string PasswordReset = "password_reset";

    /// <summary>The web app's pages that take the links (accounts-www, at /acc/).</summary>
    private static readonly IReadOnlyDictionary<string, string> Pages = new Dictionary<string, string>
    {
        [Invitation] = "/acc/invitation",
        [PasswordReset] = "/acc/reset-password",
    };

    public async Task<IssuedLink> IssueAsync(HttpRequest request, string kind, Guid organizationId, string email, string? role,
        Guid? createdBy, CancellationToken cancellationToken)
    {
        var token = ApiTokens.Generate();
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        var (id, expiresAt) = await connection.ReadSingleAsync("""
            INSERT INTO account_links (kind, organization_id, email, role, token_hash, created_by, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, now() + $7) RETURNING id, expires_at
            """, reader => (reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1)), cancellationToken,
            kind, organizationId, email, (object?)role ?? DBNull.Value, ApiTokens.Hash(token), (object?)createdBy ?? DBNull.Value,
            options.Value.LinkLifetime);
        var url = $"{PublicOrigin(request)}{Pages[kind]}?token={Uri.EscapeDataString(token)}";
        // The link is the way it reaches its addressee when no mail server is set up, so it is logged on purpose: it
        // works once, for LinkLifetime. No other secret is ever logged.
        logger.LogInformation("One-time {Kind} link for {Email}, valid until {ExpiresAt:u}: {Link}", kind, email, expiresAt, url);
        mail.Send(new LinkMessage(kind, email, url, expiresAt));
        return new IssuedLink(id, email, role, expiresAt, url);
    }

    /// <summary>Marks the link used, on the caller's transaction; null when it is unknown, used, expired or of another kind.</summary>
    public static Task<UsedLink?> UseAsync(NpgsqlConnection connection, string kind, string token, CancellationToken cancellationToken) =>
        connection.ReadSingleOrDefaultAsync("""
            UPDATE account_links SET used_at = now()
            WHERE token_hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > now()
            RETURNING organization_id, email, role
            """, reader => new UsedLink(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)),
            cancellationToken, ApiTokens.Hash(token), kind);

    /// <summary>Whether a string can be a link's token at all, so that junk is refused without a lookup.</summary>
    public static bool CouldBeToken(string? token) => token is { Length: > 0 and <= 256 };

    private string PublicOrigin(HttpRequest request) =>
        options.Value.PublicUrl is { } configured ? configured.GetLeftPart(UriPartial.Authority) : $"{request.Scheme}://{request.Host}";
}
