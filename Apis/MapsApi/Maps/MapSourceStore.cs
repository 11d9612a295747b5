using System.Collections.Concurrent;
using CartoSelfHosted.Platform.Metadata;
using Npgsql;

namespace CartoSelfHosted.MapsApi.Maps;

/// <summary>
/// Map sources in the metadata database (<c>map_sources</c>), and the versions of the tables they read
/// (<c>table_versions</c>, counted by cdn-invalidator from data-changed events).
/// </summary>
public sealed class MapSourceStore(MetadataDatabase metadata)
{
    // A source never changes under its id (the id is its hash), so a copy in memory is never stale.
    private const int MaxSourcesInMemory = 10_000;
    private readonly ConcurrentDictionary<string, MapSource> _sources = new();

    public async Task SaveAsync(MapSource source, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand(
            """
            INSERT INTO map_sources (id, organization_id, connection, kind, definition) VALUES ($1, $2, $3, $4, $5::jsonb)
            ON CONFLICT (id) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = source.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = source.OrganizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = source.Connection });
        command.Parameters.Add(new NpgsqlParameter { Value = source.Kind });
        command.Parameters.Add(new NpgsqlParameter { Value = source.ToJson() });
        await command.ExecuteNonQueryAsync(cancellationToken);
        Remember(source);
    }

    /// <summary>The organization's source of that id and kind; null when there is none (another organization's is none too).</summary>
    public async Task<MapSource?> FindAsync(string id, string kind, Guid organizationId, CancellationToken cancellationToken)
    {
        if (!_sources.TryGetValue(id, out var source))
        {
            await using var command = metadata.DataSource.CreateCommand("SELECT definition::text FROM map_sources WHERE id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            if (await command.ExecuteScalarAsync(cancellationToken) is not string json)
            {
                return null;
            }
            source = MapSource.FromJson(json);
            Remember(source);
        }
        return source.OrganizationId == organizationId && source.Kind == kind ? source : null;
    }

    /// <summary>
    /// The source's <c>cache</c> value: the sum of the versions of the tables it reads. Every data-changed event of one of
    /// them raises it, so clients that instantiate again get new URLs.
    /// </summary>
    public async Task<long> CacheValueAsync(MapSource source, CancellationToken cancellationToken)
    {
        if (source.ReadsTables.Count == 0)
        {
            return 0;
        }
        await using var command = metadata.DataSource.CreateCommand(
            """
            SELECT coalesce(sum(v.version), 0)::bigint FROM table_versions v
            JOIN unnest($2::text[], $3::text[]) AS t (schema_name, table_name) USING (schema_name, table_name)
            WHERE v.connection = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = source.Connection });
        command.Parameters.Add(new NpgsqlParameter { Value = source.ReadsTables.Select(table => table.Schema).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = source.ReadsTables.Select(table => table.Table).ToArray() });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private void Remember(MapSource source)
    {
        if (_sources.Count >= MaxSourcesInMemory)
        {
            _sources.Clear();
        }
        _sources.TryAdd(source.Id, source);
    }
}
