using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Security;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.AccountsApi.Accounts;

/// <summary>What a sign-in or a refresh hands out. The tokens are returned once and kept nowhere but as SHA-256 hashes.</summary>
public sealed record IssuedSession(Guid SessionId, string AccessToken, DateTimeOffset AccessTokenExpiresAt, string RefreshToken,
    string? CookieToken, DateTimeOffset ExpiresAt);

/// <summary>
/// Sign-in sessions. A session's access tokens and its cookie token are ordinary <c>api_tokens</c> rows (Platform/Security
/// authenticates them like any token, on every API) that point at the session: deleting the session, or its user,
/// deletes them, and every API refuses them from its next lookup (within <see cref="ApiTokenStore.CacheDuration"/>).
/// </summary>
public sealed class SessionStore(MetadataDatabase metadata, IOptions<AccountsOptions> options)
{
    private const string AccessTokenName = "access token";
    private const string CookieTokenName = "session cookie";

    public async Task<IssuedSession> StartAsync(Guid userId, Guid organizationId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var refreshToken = ApiTokens.Generate();
        var cookieToken = ApiTokens.Generate();
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The user's sessions that ran out go as a new one comes (with their tokens), so none is kept for ever.
        await connection.ExecuteAsync("DELETE FROM user_sessions WHERE user_id = $1 AND expires_at <= now()", cancellationToken, userId);
        var (sessionId, expiresAt) = await connection.ReadSingleAsync("""
            INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at) VALUES ($1, $2, now() + $3) RETURNING id, expires_at
            """, reader => (reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1)), cancellationToken,
            userId, ApiTokens.Hash(refreshToken), settings.SessionLifetime);
        var (accessToken, accessExpiresAt) = await IssueAccessTokenAsync(connection, sessionId, userId, organizationId, expiresAt, cancellationToken);
        await InsertTokenAsync(connection, cookieToken, CookieTokenName, sessionId, userId, organizationId, expiresAt, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new IssuedSession(sessionId, accessToken, accessExpiresAt, refreshToken, cookieToken, expiresAt);
    }

    /// <summary>
    /// A new access token and a new refresh token for a live session's refresh token, which stops working: presented
    /// twice, only the first succeeds. Null when it is unknown, replaced or its session ended.
    /// </summary>
    public async Task<IssuedSession?> RefreshAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var newRefreshToken = ApiTokens.Generate();
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rotated = await connection.ReadSingleOrDefaultAsync("""
            UPDATE user_sessions s SET refresh_token_hash = $2, refreshed_at = now()
            FROM users u
            WHERE s.refresh_token_hash = $1 AND s.expires_at > now() AND u.id = s.user_id
            RETURNING s.id, s.user_id, u.organization_id, s.expires_at
            """, reader => new RotatedSession(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetFieldValue<DateTimeOffset>(3)),
            cancellationToken, ApiTokens.Hash(refreshToken), ApiTokens.Hash(newRefreshToken));
        if (rotated is not var (sessionId, userId, organizationId, expiresAt))
        {
            return null;
        }
        // The session's access tokens that expired are of no use to anyone: they go as new ones come.
        await connection.ExecuteAsync("DELETE FROM api_tokens WHERE session_id = $1 AND expires_at <= now()", cancellationToken, sessionId);
        var (accessToken, accessExpiresAt) = await IssueAccessTokenAsync(connection, sessionId, userId, organizationId, expiresAt, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new IssuedSession(sessionId, accessToken, accessExpiresAt, newRefreshToken, null, expiresAt);
    }

    /// <summary>Ends one session of the user: its refresh token, access tokens and cookie stop working.</summary>
    public async Task EndAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("DELETE FROM user_sessions WHERE id = $1 AND user_id = $2", cancellationToken, sessionId, userId);
    }

    /// <summary>Ends every session of the user, on every device.</summary>
    public static Task<int> EndAllAsync(NpgsqlConnection connection, Guid userId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync("DELETE FROM user_sessions WHERE user_id = $1", cancellationToken, userId);

    private sealed record RotatedSession(Guid SessionId, Guid UserId, Guid OrganizationId, DateTimeOffset ExpiresAt);

    private async Task<(string Token, DateTimeOffset ExpiresAt)> IssueAccessTokenAsync(NpgsqlConnection connection, Guid sessionId,
        Guid userId, Guid organizationId, DateTimeOffset sessionExpiresAt, CancellationToken cancellationToken)
    {
        var token = ApiTokens.Generate();
        var wanted = DateTimeOffset.UtcNow + options.Value.AccessTokenLifetime;
        var expiresAt = wanted < sessionExpiresAt ? wanted : sessionExpiresAt;
        await InsertTokenAsync(connection, token, AccessTokenName, sessionId, userId, organizationId, expiresAt, cancellationToken);
        return (token, expiresAt);
    }

    private static Task<int> InsertTokenAsync(NpgsqlConnection connection, string token, string name, Guid sessionId, Guid userId,
        Guid organizationId, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        connection.ExecuteAsync("""
            INSERT INTO api_tokens (organization_id, user_id, session_id, name, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
            """, cancellationToken, organizationId, userId, sessionId, name, ApiTokens.Hash(token), expiresAt);
}
