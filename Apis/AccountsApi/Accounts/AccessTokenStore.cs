using System.Text.Json;
using System.Text.Json.Serialization;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using Npgsql;
using NpgsqlTypes;

namespace CartoSelfHosted.AccountsApi.Accounts;

/// <summary>
/// A token as the Tokens API describes it, in CARTO's names. <see cref="Token"/> is there once, in the answer that made
/// it: only its hash is kept. <see cref="Grants"/> is null for a token that is no API access token (the development one).
/// </summary>
public sealed record AccessTokenView(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("grants")] IReadOnlyList<SourceGrant>? Grants,
    [property: JsonPropertyName("allowed_apis")] IReadOnlyList<string> AllowedApis,
    [property: JsonPropertyName("referers")] IReadOnlyList<string> Referers,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string> Scopes,
    [property: JsonPropertyName("expiration_date")] DateTimeOffset? ExpirationDate,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("token"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Token = null);

/// <summary>
/// Whose tokens a caller sees and changes: a user's own (tokens are private to the user who made them, as CARTO has them),
/// or, for an organization's token that is no user's (the development token before the first sign-up), the
/// organization's tokens that are no user's either. A sign-in's own tokens are never among them.
/// </summary>
public sealed record TokenOwner(Guid OrganizationId, Guid? UserId);

/// <summary>The Tokens API's rows in <c>api_tokens</c>: the token's value is returned once and only its SHA-256 is stored.</summary>
public sealed class AccessTokenStore(MetadataDatabase metadata)
{
    private const string Columns = "id, name, grants::text, allowed_apis, referers, scopes, expires_at, created_at";
    // A public map's token is the map's (workspace-api makes and revokes it with the map), not one its owner changes here.
    private const string OwnedBy =
        "organization_id = $1 AND user_id IS NOT DISTINCT FROM $2 AND session_id IS NULL AND map_id IS NULL AND revoked_at IS NULL";

    public async Task<AccessTokenView> CreateAsync(TokenOwner owner, AccessTokenSpec spec, CancellationToken cancellationToken)
    {
        Guid id;
        string token;
        await using (var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken))
        {
            (id, token) = await ApiAccessTokenRows.InsertAsync(connection, new NewApiAccessToken(owner.OrganizationId, owner.UserId,
                spec.Name!, spec.Grants!, spec.AllowedApis!, spec.Referers, spec.ExpiresAt), cancellationToken);
        }
        return (await FindAsync(owner, id, cancellationToken))! with { Token = token };
    }

    public async Task<IReadOnlyList<AccessTokenView>> ListAsync(TokenOwner owner, CancellationToken cancellationToken)
    {
        await using var command = Command($"SELECT {Columns} FROM api_tokens WHERE {OwnedBy} ORDER BY created_at DESC, id", owner);
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>The id of the token with this value, whoever's it is; null for an unknown one.</summary>
    public async Task<Guid?> FindIdAsync(string token, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand("SELECT id FROM api_tokens WHERE token_hash = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = ApiTokens.Hash(token) });
        return await command.ExecuteScalarAsync(cancellationToken) as Guid?;
    }

    /// <summary>One of the owner's tokens.</summary>
    public async Task<AccessTokenView?> FindAsync(TokenOwner owner, Guid id, CancellationToken cancellationToken)
    {
        await using var command = Command($"SELECT {Columns} FROM api_tokens WHERE {OwnedBy} AND id = $3", owner);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>Replaces what the change gives of one of the owner's API access tokens; null when it has no such token.</summary>
    public async Task<AccessTokenView?> ChangeAsync(TokenOwner owner, Guid id, AccessTokenSpec change, CancellationToken cancellationToken)
    {
        await using var command = Command($"""
            UPDATE api_tokens SET name = coalesce($4, name), grants = coalesce($5::jsonb, grants),
                allowed_apis = coalesce($6, allowed_apis), referers = coalesce($7, referers)
            WHERE {OwnedBy} AND grants IS NOT NULL AND id = $3
            RETURNING {Columns}
            """, owner);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)change.Name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = change.Grants is null ? DBNull.Value : JsonSerializer.Serialize(change.Grants), NpgsqlDbType = NpgsqlDbType.Text,
        });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = (object?)change.AllowedApis?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
        });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = (object?)change.Referers?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
        });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>Deletes one of the owner's tokens: every API refuses it from its next lookup (within a second).</summary>
    public async Task<bool> DeleteAsync(TokenOwner owner, Guid id, CancellationToken cancellationToken)
    {
        await using var command = Command($"DELETE FROM api_tokens WHERE {OwnedBy} AND id = $3", owner);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private NpgsqlCommand Command(string sql, TokenOwner owner)
    {
        var command = metadata.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = owner.OrganizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)owner.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        return command;
    }

    private static async Task<List<AccessTokenView>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tokens = new List<AccessTokenView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tokens.Add(new AccessTokenView(reader.GetGuid(0), reader.GetString(1),
                reader.IsDBNull(2) ? null : JsonSerializer.Deserialize<SourceGrant[]>(reader.GetString(2)),
                reader.GetFieldValue<string[]>(3), reader.GetFieldValue<string[]>(4), reader.GetFieldValue<string[]>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7)));
        }
        return tokens;
    }
}
