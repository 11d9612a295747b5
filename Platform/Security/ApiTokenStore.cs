using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Platform.Metadata;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace CartoSelfHosted.Platform.Security;

/// <summary>
/// What a valid token grants: whose it is and what it may do. <see cref="UserId"/> is set for a user's token (a sign-in's
/// access or session token, the development token once the first admin signed up, or an API access token the user
/// made), whose scopes are the user's role. An API access token also has <see cref="SourceGrants"/>: it reads only
/// those sources, through <see cref="AllowedApis"/> only, and, when <see cref="Referers"/> is not empty, only for pages
/// of those origins.
/// </summary>
public sealed record ApiTokenGrant(Guid TokenId, string TokenName, Guid OrganizationId, string OrganizationSlug, IReadOnlyList<string> Scopes,
    Guid? UserId, string? Email, Guid? SessionId, IReadOnlyList<SourceGrant>? SourceGrants = null, IReadOnlyList<string>? AllowedApis = null,
    IReadOnlyList<string>? Referers = null)
{
    /// <summary>
    /// An API access token's limits as one short value: it changes whenever its grants, allowed APIs or referers do, so
    /// the HTTP cache, which keys a token's answers by it, never serves one made under limits the token no longer has.
    /// </summary>
    public string? LimitsVersion { get; } = SourceGrants is null
        ? null
        : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { SourceGrants, AllowedApis, Referers }))), 0, 12);
}

/// <summary>Looks tokens up by hash in the metadata database; a hit is kept briefly so the hot path costs few queries.</summary>
public sealed class ApiTokenStore(MetadataDatabase metadata, IMemoryCache cache)
{
    // Short enough that a revoked token, a signed-out session or a removed user stops working within a second on every
    // replica; long enough that a map's burst of tiles costs one lookup, not one per tile.
    public static readonly TimeSpan CacheDuration = TimeSpan.FromMilliseconds(500);

    public async Task<ApiTokenGrant?> FindAsync(string token, CancellationToken cancellationToken)
    {
        var hash = ApiTokens.Hash(token);
        var cacheKey = "api-token:" + Convert.ToHexString(hash);
        if (cache.TryGetValue(cacheKey, out ApiTokenGrant? cached))
        {
            return cached;
        }

        // A user's role is read here, not copied into the token, so a changed role holds at the next request. Removing
        // a user deletes its tokens (ON DELETE CASCADE), so they are not found at all.
        await using var command = metadata.DataSource.CreateCommand("""
            SELECT t.id, t.name, o.id, o.slug, CASE WHEN u.id IS NULL THEN t.scopes ELSE ARRAY[u.role] END, u.id, u.email, t.session_id,
                   t.grants::text, t.allowed_apis, t.referers
            FROM api_tokens t JOIN organizations o ON o.id = t.organization_id LEFT JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = hash });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var accessToken = !reader.IsDBNull(8);
        var grant = new ApiTokenGrant(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetString(3),
            reader.GetFieldValue<string[]>(4),
            reader.IsDBNull(5) ? null : reader.GetGuid(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetGuid(7),
            accessToken ? JsonSerializer.Deserialize<SourceGrant[]>(reader.GetString(8)) : null,
            accessToken ? reader.GetFieldValue<string[]>(9) : null,
            accessToken ? reader.GetFieldValue<string[]>(10) : null);
        cache.Set(cacheKey, grant, CacheDuration);
        return grant;
    }

    /// <summary>Stores a token (by hash) for an organization; storing the same token again changes nothing.</summary>
    public async Task StoreAsync(string token, Guid organizationId, string name, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand("""
            INSERT INTO api_tokens (organization_id, name, token_hash, scopes)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (token_hash) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = ApiTokens.Hash(token) });
        command.Parameters.Add(new NpgsqlParameter { Value = scopes.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
