using CartoSelfHosted.Platform.Metadata;
using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace CartoSelfHosted.Platform.Connections;

/// <summary>A connection's name, settings, password and privacy as a create or an update writes them.</summary>
public sealed record ConnectionDefinition(string Name, PostgresConnectionSettings Settings, string Password, string Privacy);

/// <summary>
/// The <c>connections</c> rows of the metadata database. A password is written as ASP.NET Core Data Protection's
/// ciphertext (keys in the same database, shared by every service: see <c>AddMetadataDataProtection</c>) and comes back
/// only to open the connection. Every read is limited to what a <see cref="ConnectionScope"/> may use.
/// </summary>
public sealed class ConnectionStore(MetadataDatabase metadata, IDataProtectionProvider protection)
{
    private const string Columns =
        "id, organization_id, owner_id, name, provider, host, port, database_name, username, ssl_mode, default_schema, privacy, created_at, updated_at, protected_password";

    /// <summary>
    /// $1 the organization, $2 the user: the organization's shared connections and the user's own. Columns unqualified, of
    /// <c>connections</c>: workspace-api's search filters with it too, so that it finds exactly what may be used.
    /// </summary>
    public const string Usable = "organization_id = $1 AND (privacy = 'shared' OR owner_id IS NOT DISTINCT FROM $2)";

    private readonly IDataProtector _passwords = protection.CreateProtector("CartoSelfHosted.Platform.Connections.Password");

    public async Task<IReadOnlyList<StoredConnection>> ListAsync(ConnectionScope scope, CancellationToken cancellationToken)
    {
        await using var command = Command($"SELECT {Columns} FROM connections WHERE {Usable} ORDER BY lower(name), name", scope);
        return (await ReadAsync(command, cancellationToken)).Select(found => found.Connection).ToList();
    }

    /// <summary>The connection with this id if <paramref name="scope"/> may use it, with its password.</summary>
    public async Task<(StoredConnection Connection, string Password)?> FindAsync(ConnectionScope scope, Guid id, CancellationToken cancellationToken)
    {
        await using var command = Command($"SELECT {Columns} FROM connections WHERE {Usable} AND id = $3", scope);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (await ReadAsync(command, cancellationToken)) is [var found] ? found : null;
    }

    /// <summary>The connection of this name if <paramref name="scope"/> may use it, with its password.</summary>
    public async Task<(StoredConnection Connection, string Password)?> FindByNameAsync(ConnectionScope scope, string name,
        CancellationToken cancellationToken)
    {
        await using var command = Command($"SELECT {Columns} FROM connections WHERE {Usable} AND name = $3", scope);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return (await ReadAsync(command, cancellationToken)) is [var found] ? found : null;
    }

    /// <summary>The new connection, owned by the scope's user; null when the organization has one of that name already.</summary>
    public async Task<StoredConnection?> CreateAsync(ConnectionScope scope, ConnectionDefinition definition, CancellationToken cancellationToken)
    {
        await using var command = Command($"""
            INSERT INTO connections (id, organization_id, owner_id, name, provider, host, port, database_name, username, ssl_mode,
                                     default_schema, privacy, protected_password)
            VALUES ($3, $1, $2, $4, '{StoredConnection.PostgresProvider}', $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (organization_id, name) DO NOTHING
            RETURNING {Columns}
            """, scope);
        command.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7() });
        AddDefinition(command, definition);
        return (await ReadAsync(command, cancellationToken)) is [var created] ? created.Connection : null;
    }

    /// <summary>
    /// Writes <paramref name="definition"/> over connection <paramref name="id"/>; null when the organization has another
    /// connection of the new name. The caller has found the connection in its scope.
    /// </summary>
    public async Task<StoredConnection?> UpdateAsync(ConnectionScope scope, Guid id, ConnectionDefinition definition, CancellationToken cancellationToken)
    {
        await using var command = Command($"""
            UPDATE connections
            SET name = $4, host = $5, port = $6, database_name = $7, username = $8, ssl_mode = $9, default_schema = $10, privacy = $11,
                protected_password = $12, updated_at = clock_timestamp()
            WHERE {Usable} AND id = $3
              AND NOT EXISTS (SELECT FROM connections other WHERE other.organization_id = $1 AND other.name = $4 AND other.id <> $3)
            RETURNING {Columns}
            """, scope);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        AddDefinition(command, definition);
        try
        {
            return (await ReadAsync(command, cancellationToken)) is [var updated] ? updated.Connection : null;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Another update took the name between the check and the write.
            return null;
        }
    }

    public async Task<bool> DeleteAsync(ConnectionScope scope, Guid id, CancellationToken cancellationToken)
    {
        await using var command = Command($"DELETE FROM connections WHERE {Usable} AND id = $3", scope);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private NpgsqlCommand Command(string sql, ConnectionScope scope)
    {
        var command = metadata.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = scope.OrganizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)scope.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        return command;
    }

    private void AddDefinition(NpgsqlCommand command, ConnectionDefinition definition)
    {
        var settings = definition.Settings;
        command.Parameters.Add(new NpgsqlParameter { Value = definition.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.Host });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.Port });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.Database });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.User });
        command.Parameters.Add(new NpgsqlParameter { Value = PostgresSslModes.Name(settings.SslMode) });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.DefaultSchema });
        command.Parameters.Add(new NpgsqlParameter { Value = definition.Privacy });
        command.Parameters.Add(new NpgsqlParameter { Value = _passwords.Protect(definition.Password) });
    }

    private async Task<List<(StoredConnection Connection, string Password)>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<(StoredConnection, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var settings = new PostgresConnectionSettings(reader.GetString(5), reader.GetInt32(6), reader.GetString(7), reader.GetString(8),
                PostgresSslModes.Parse(reader.GetString(9))!.Value, reader.GetString(10));
            var connection = new StoredConnection(reader.GetGuid(0), reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetGuid(2),
                reader.GetString(3), reader.GetString(4), settings, reader.GetString(11),
                reader.GetFieldValue<DateTimeOffset>(12), reader.GetFieldValue<DateTimeOffset>(13));
            rows.Add((connection, _passwords.Unprotect(reader.GetString(14))));
        }
        return rows;
    }
}
