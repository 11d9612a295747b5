using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.Metadata;
using Npgsql;

namespace CartoSelfHosted.CdnInvalidator.Purging;

/// <summary>
/// Counts a table's changes in <c>table_versions</c> (metadata database); maps-api builds a map's <c>cache</c> value
/// from them, so the next instantiation after a change gets new URLs. A redelivered event counts again, which only
/// changes the value once more.
/// </summary>
public sealed class TableVersions(MetadataDatabase metadata)
{
    public async Task IncrementAsync(DataChangedMessage message, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand(
            """
            INSERT INTO table_versions (connection, schema_name, table_name, version) VALUES ($1, $2, $3, 1)
            ON CONFLICT (connection, schema_name, table_name) DO UPDATE SET version = table_versions.version + 1, changed_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = message.Connection });
        command.Parameters.Add(new NpgsqlParameter { Value = message.Schema });
        command.Parameters.Add(new NpgsqlParameter { Value = message.Table });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
