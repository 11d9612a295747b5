using System.Text.Json;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using Npgsql;

namespace CartoSelfHosted.WorkspaceSubscriber.Maps;

/// <summary>
/// Saved maps whose table datasets name a table that was dropped: each such dataset is marked broken, with the reason
/// (<c>map_broken_datasets</c>), and the mark goes when a table of that name is made again. A dataset's table name is
/// read as maps-api reads it (<c>table</c> in the connection's default schema, <c>schema.table</c>, quotes honoured).
/// Running twice changes nothing more.
/// </summary>
public sealed class BrokenMapDatasets(MetadataDatabase metadata, DataConnections connections)
{
    /// <summary>How many datasets were marked (a drop) or mended (a creation).</summary>
    public async Task<int> UpdateAsync(DataChangedMessage message, CancellationToken cancellationToken)
    {
        var dropped = message.Change == DataChangedMessage.Changes.Dropped;
        if (!dropped && message.Change != DataChangedMessage.Changes.Created)
        {
            return 0;
        }
        var scope = new ConnectionScope(message.OrganizationId, message.OrganizationSlug, UserId: null);
        // A private connection is no organization-wide scope's: its maps' unqualified names then match nothing.
        var defaultSchema = (await connections.FindAsync(scope, message.Connection, cancellationToken))?.DefaultSchema;
        var (schema, table) = (new NamePart(message.Schema, Quoted: true), new NamePart(message.Table, Quoted: true));

        var affected = new List<(Guid Map, string Dataset)>();
        await using (var find = metadata.DataSource.CreateCommand(
            "SELECT id, datasets::text FROM maps WHERE organization_id = $1 AND datasets @> $2::jsonb"))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = message.OrganizationId });
            find.Parameters.Add(new NpgsqlParameter
            {
                Value = JsonSerializer.Serialize(new[] { new { type = "table", connectionName = message.Connection } }),
            });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var map = reader.GetGuid(0);
                foreach (var dataset in JsonDocument.Parse(reader.GetString(1)).RootElement.EnumerateArray())
                {
                    if (Text(dataset, "type") == "table" && Text(dataset, "connectionName") == message.Connection
                        && Text(dataset, "id") is { } id && Text(dataset, "source") is { } source && Names(source, defaultSchema, schema, table))
                    {
                        affected.Add((map, id));
                    }
                }
            }
        }
        if (affected.Count == 0)
        {
            return 0;
        }
        await using var write = metadata.DataSource.CreateCommand(dropped
            ? """
              INSERT INTO map_broken_datasets (map_id, dataset_id, reason)
              SELECT map_id, dataset_id, $3 FROM unnest($1::uuid[], $2::text[]) AS broken (map_id, dataset_id)
              ON CONFLICT (map_id, dataset_id) DO NOTHING
              """
            : """
              DELETE FROM map_broken_datasets b USING unnest($1::uuid[], $2::text[]) AS mended (map_id, dataset_id)
              WHERE b.map_id = mended.map_id AND b.dataset_id = mended.dataset_id
              """);
        write.Parameters.Add(new NpgsqlParameter { Value = affected.Select(pair => pair.Map).ToArray() });
        write.Parameters.Add(new NpgsqlParameter { Value = affected.Select(pair => pair.Dataset).ToArray() });
        if (dropped)
        {
            write.Parameters.Add(new NpgsqlParameter { Value = $"The table {message.Schema}.{message.Table} of the connection '{message.Connection}' was dropped." });
        }
        await write.ExecuteNonQueryAsync(cancellationToken);
        return affected.Count;
    }

    /// <summary>Whether a dataset's source names the table: <c>table</c> (in the default schema), <c>schema.table</c> or <c>db.schema.table</c>.</summary>
    private static bool Names(string source, string? defaultSchema, NamePart schema, NamePart table) => QualifiedName.Split(source) switch
    {
        [var name] => defaultSchema is not null && schema.Text == defaultSchema && name.MayMeanTheSameAs(table),
        [.., var sourceSchema, var name] parts when parts.Count <= 3 => sourceSchema.MayMeanTheSameAs(schema) && name.MayMeanTheSameAs(table),
        _ => false,
    };

    private static string? Text(JsonElement element, string member) =>
        element.TryGetProperty(member, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
