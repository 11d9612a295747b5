using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Warehouse;
using CartoSelfHosted.WorkspaceApi.Maps;
using Npgsql;
using NpgsqlTypes;

namespace CartoSelfHosted.WorkspaceApi.Search;

/// <summary>The kinds of resource search finds, by the names <c>types</c> takes and hits carry.</summary>
public static class SearchTypes
{
    public const string Dataset = "dataset";
    public const string Map = "map";
    public const string Connection = "connection";

    public static readonly IReadOnlyList<string> All = [Dataset, Map, Connection];
}

/// <summary>Who searches, and what: its organization and user (null for a token that is no user's), and the kinds asked for.</summary>
public sealed record SearchRequest(Guid OrganizationId, Guid? UserId, bool IsAdmin, bool ReadsMaps, string TsQuery, IReadOnlySet<string> Types,
    int Page, int PageSize);

/// <summary>A resource found: a dataset by its connection, schema and name; a map or a connection by its id.</summary>
public sealed record SearchHit(string Type, Guid? Id, string? Name, string? Connection, string? Schema, string Title, string? Description,
    double Rank, string Url);

/// <summary>
/// Full-text search (migration 0011: the <c>search</c> vectors and their GIN indexes) over an organization's datasets
/// (<c>catalog_tables</c>), saved maps and connections, in one statement, best first (<c>ts_rank_cd</c>: a name's words
/// weigh most, then a description's, then column names'). It finds only what the other APIs would show the caller, by
/// their own SQL: a connection it may use (<see cref="ConnectionStore.Usable"/>), a dataset of <c>carto_dw</c> or of such a
/// connection, a map its listing shows (<see cref="MapStore.Listed"/>).
/// </summary>
public sealed class SearchStore(MetadataDatabase metadata)
{
    // $1, $2, $3 the caller's organization, user and whether it is an admin (the fragments' own numbering); $4 the query;
    // $5, $6, $7 whether datasets, maps and connections are searched; $8 the built-in connection's name; $9, $10 the page.
    // The hits are counted before the page is cut, so a page past the last still says how many there are.
    private const string Sql = $"""
        WITH query AS (SELECT to_tsquery('carto_search', $4) AS q),
        hits AS (
            SELECT '{SearchTypes.Dataset}' AS type, NULL::uuid AS id, t.table_name AS title, t.connection, t.schema_name AS schema,
                   t.description, ts_rank_cd(t.search, query.q) AS rank
            FROM catalog_tables t, query
            WHERE $5 AND t.organization_id = $1 AND t.search @@ query.q
              AND (t.connection = $8 OR EXISTS (SELECT FROM connections WHERE {ConnectionStore.Usable} AND name = t.connection))
            UNION ALL
            SELECT '{SearchTypes.Map}', m.id, m.title, NULL, NULL, m.description, ts_rank_cd(m.search, query.q)
            FROM maps m, query
            WHERE $6 AND {MapStore.Listed} AND m.search @@ query.q
            UNION ALL
            SELECT '{SearchTypes.Connection}', connections.id, connections.name, connections.name, NULL, NULL, ts_rank_cd(connections.search, query.q)
            FROM connections, query
            WHERE $7 AND {ConnectionStore.Usable} AND connections.search @@ query.q
        )
        SELECT counted.total, page.* FROM (SELECT count(*) AS total FROM hits) counted
        LEFT JOIN LATERAL (
            SELECT * FROM hits ORDER BY rank DESC, title, type, connection, schema, id LIMIT $9 OFFSET $10
        ) page ON true
        """;

    /// <summary>The page of hits the request asks for, and how many there are in all.</summary>
    public async Task<(IReadOnlyList<SearchHit> Hits, long Total)> SearchAsync(SearchRequest request, CancellationToken cancellationToken)
    {
        await using var command = metadata.DataSource.CreateCommand(Sql);
        command.Parameters.Add(new NpgsqlParameter { Value = request.OrganizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = request.IsAdmin });
        command.Parameters.Add(new NpgsqlParameter { Value = request.TsQuery });
        command.Parameters.Add(new NpgsqlParameter { Value = request.Types.Contains(SearchTypes.Dataset) });
        command.Parameters.Add(new NpgsqlParameter { Value = request.ReadsMaps && request.Types.Contains(SearchTypes.Map) });
        command.Parameters.Add(new NpgsqlParameter { Value = request.Types.Contains(SearchTypes.Connection) });
        command.Parameters.Add(new NpgsqlParameter { Value = WarehouseDatabase.BuiltInConnectionName });
        command.Parameters.Add(new NpgsqlParameter { Value = request.PageSize });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)(request.Page - 1) * request.PageSize });
        var hits = new List<SearchHit>();
        long total = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            total = reader.GetInt64(0);
            if (reader.IsDBNull(1))
            {
                break;
            }
            var type = reader.GetString(1);
            Guid? id = reader.IsDBNull(2) ? null : reader.GetGuid(2);
            var title = reader.GetString(3);
            var connection = reader.IsDBNull(4) ? null : reader.GetString(4);
            var schema = reader.IsDBNull(5) ? null : reader.GetString(5);
            hits.Add(new SearchHit(type, id, type == SearchTypes.Map ? null : title, connection, schema, title,
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetFloat(7), Url(type, id, connection, schema, title)));
        }
        return (hits, total);
    }

    /// <summary>Where the resource is in workspace-api: the catalog's table, the map, the connection.</summary>
    private static string Url(string type, Guid? id, string? connection, string? schema, string name) => type switch
    {
        SearchTypes.Dataset => $"/api/v3/connections/{Uri.EscapeDataString(connection!)}/resources/{Uri.EscapeDataString(schema!)}/{Uri.EscapeDataString(name)}",
        SearchTypes.Map => $"/api/v3/maps/{id}",
        _ => $"/api/v3/connections/{id}",
    };
}
