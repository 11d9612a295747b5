using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace CartoSelfHosted.Platform.Security;

/// <summary>
/// A CARTO API access token to make: its user (whose role it acts with), what it may read (<see cref="Grants"/>), through
/// which APIs, from which origins (none: any), until when (null: until it is deleted or revoked), and the saved map that
/// holds it, for a public map's token.
/// </summary>
public sealed record NewApiAccessToken(Guid OrganizationId, Guid? UserId, string Name, IReadOnlyList<SourceGrant> Grants,
    IReadOnlyList<string> AllowedApis, IReadOnlyList<string>? Referers = null, DateTimeOffset? ExpiresAt = null, Guid? MapId = null);

/// <summary>
/// Makes API access tokens in <c>api_tokens</c>, for every service that hands one out (accounts-api's Tokens API,
/// workspace-api's public maps): the value is generated here and returned once; only its hash is stored.
/// </summary>
public static class ApiAccessTokenRows
{
    /// <summary>
    /// Inserts the token on <paramref name="connection"/> (so in its transaction, when it has one: a public map's token is
    /// made with the map's change) and returns its row's id and its value.
    /// </summary>
    public static async Task<(Guid Id, string Token)> InsertAsync(NpgsqlConnection connection, NewApiAccessToken token,
        CancellationToken cancellationToken)
    {
        var value = ApiTokens.Generate();
        await using var command = new NpgsqlCommand("""
            INSERT INTO api_tokens (organization_id, user_id, name, token_hash, grants, allowed_apis, referers, expires_at, map_id)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9)
            RETURNING id
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = token.OrganizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)token.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = token.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = ApiTokens.Hash(value) });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(token.Grants) });
        command.Parameters.Add(new NpgsqlParameter { Value = token.AllowedApis.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = (token.Referers ?? []).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)token.ExpiresAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)token.MapId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        return ((Guid)(await command.ExecuteScalarAsync(cancellationToken))!, value);
    }
}
