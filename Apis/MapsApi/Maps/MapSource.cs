using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.MapsApi.Widgets;
using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Tiles;
using CartoSelfHosted.Platform.Warehouse;
using Npgsql;

namespace CartoSelfHosted.MapsApi.Maps;

/// <summary>A warehouse table a source reads; its data-changed events change the source's <c>cache</c> value.</summary>
public sealed record SourceTable(string Schema, string Table)
{
    /// <summary>The table as SQL names it: schema and table, quoted.</summary>
    [JsonIgnore]
    public string QuotedName => $"{SqlIdentifier.Quote(Schema)}.{SqlIdentifier.Quote(Table)}";
}

/// <summary>A column a map's features carry, with its type as CARTO's clients name it (<see cref="QueryColumn.SchemaType"/>).</summary>
public sealed record SourceColumn(string Name, string Type);

/// <summary>
/// A quadbin source (<c>spatialDataType=quadbin</c>): its tiles hold cells of <see cref="Quadbin.MaxResolution"/> at
/// most, at <see cref="ResolutionLevel"/> below the tile's own resolution (CARTO's <c>aggregationResLevel</c>) but never
/// deeper than <see cref="DataResolution"/>, each with the aggregates of <see cref="Expression"/> (<c>aggregationExp</c>)
/// over the rows in it. The rows' cells are the spatial column's bigints, or the cells of its geometries' points
/// (<see cref="MapSource.HasGeometry"/>: binned as the tile is made).
/// </summary>
public sealed record QuadbinAggregation(string Expression, int ResolutionLevel, int DataResolution)
{
    /// <summary>The deepest tile deck.gl asks for (TileJSON's <c>maxresolution</c>): deeper ones would hold the same cells.</summary>
    public int MaxTileResolution => Math.Max(0, DataResolution - ResolutionLevel);

    /// <summary>The resolution of the cells in a tile of resolution <paramref name="tileResolution"/>.</summary>
    public int CellResolution(int tileResolution) => Math.Min(tileResolution + ResolutionLevel, DataResolution);
}

/// <summary>
/// What a map instantiation resolved: a table (by catalog name) or a query of an organization, the columns its
/// features carry and its geometry column, and whether its polygons carry their bounding box (<see cref="FeatureBbox"/>).
/// Kept in the metadata database under <see cref="Id"/>, a hash of all of it, so TileJSON and tile requests name it by id.
/// </summary>
public sealed record MapSource(
    string Kind,
    string Connection,
    Guid OrganizationId,
    string OrganizationSlug,
    SourceTable? Table,
    string? Query,
    string? QueryParameters,
    IReadOnlyList<SourceColumn> Columns,
    string SpatialColumn,
    double TileResolution,
    IReadOnlyList<SourceTable> ReadsTables,
    string? Filters = null,
    IReadOnlyList<SourceColumn>? FilterColumns = null,
    QuadbinAggregation? Quadbin = null,
    bool FeatureBbox = false)
{
    public const string TableKind = "table";
    public const string QueryKind = "query";

    /// <summary>
    /// Computed on every read, not kept: a source is made by <c>with</c> from its draft, which would copy a kept id made
    /// before its columns and filters were known.
    /// </summary>
    public string Id => ComputeId(Kind, Connection, OrganizationId, Table, Query, QueryParameters, Columns, SpatialColumn, TileResolution, Filters, Quadbin,
        FeatureBbox);

    /// <summary>The columns its features (or cells) carry besides the spatial one.</summary>
    public IEnumerable<SourceColumn> Attributes => Columns.Where(column => column.Name != SpatialColumn);

    /// <summary>Whether its spatial column is a geometry: the source's own, or one whose points a quadbin source bins.</summary>
    public bool HasGeometry => Columns.Any(column => column.Name == SpatialColumn && column.Type == "geometry");

    /// <summary>
    /// The grid of the source's vector tiles, as CARTO's <c>tileResolution</c> sets it: 0.25, 0.5 (the client's default),
    /// 1, 2 and 4 give 256 to 4096 units a side.
    /// </summary>
    public int TileExtent => (int)(1024 * TileResolution);

    /// <summary>
    /// The table's prepared copy for tiles, read as the organization; query sources have none, nor tables of a connection
    /// to a database the platform does not own (their tiles are made from the table itself, as a query's are), nor quadbin
    /// sources, whose cells are aggregated from the source's rows.
    /// </summary>
    public TileTableSource? TileTable => Table is null || Connection != WarehouseDatabase.BuiltInConnectionName || Quadbin is not null
        ? null
        : new TileTableSource(Table.Schema, Table.Table, SpatialColumn, WarehouseDatabase.OrganizationSchema(OrganizationSlug));

    /// <summary>The SQL that names the source's rows: the quoted table, or the caller's query as a subquery.</summary>
    public string FromClause => Table is not null ? Table.QuotedName : $"({Query}\n)";

    /// <summary>The source's geometry as SQL on the row alias <c>source</c> (a geography column read as geometry).</summary>
    public string GeometrySql => $"source.{SqlIdentifier.Quote(SpatialColumn)}::geometry";

    /// <summary><see cref="GeometrySql"/> in EPSG:4326; a geometry without SRID is taken as already in it.</summary>
    public string GeometryInDegreesSql => WidgetSql.InDegrees($"source.{SqlIdentifier.Quote(SpatialColumn)}");

    /// <summary>
    /// The condition CARTO's <c>filters</c> of the instantiation make, on the row alias <c>source</c> (the table, its
    /// prepared copy or the query), its values bound after <paramref name="parameters"/>; <c>true</c> without filters.
    /// </summary>
    public string FilterCondition(List<NpgsqlParameter> parameters)
    {
        if (Filters is null)
        {
            return "true";
        }
        var sql = new WidgetSql(FromClause, (FilterColumns ?? []).Select(column => QueryColumn.OfSchemaType(column.Name, column.Type)).ToList(), parameters);
        using var filters = JsonDocument.Parse(Filters);
        WidgetFilters.Apply(sql, filters.RootElement, logicalOperator: null, spatialFilters: null);
        return sql.Where;
    }

    /// <summary>The surrogate keys (and Redis tags) of everything made from this source.</summary>
    public IReadOnlyList<string> CacheTags =>
    [
        SurrogateKeys.Connection(Connection),
        .. ReadsTables.Select(table => SurrogateKeys.Table(Connection, table.Schema, table.Table)),
    ];

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    public static MapSource FromJson(string json) => JsonSerializer.Deserialize<MapSource>(json, JsonSerializerOptions.Web)!;

    private static string ComputeId(string kind, string connection, Guid organizationId, SourceTable? table, string? query,
        string? queryParameters, IReadOnlyList<SourceColumn> columns, string spatialColumn, double tileResolution, string? filters,
        QuadbinAggregation? quadbin, bool featureBbox)
    {
        var definition = JsonSerializer.Serialize(new { kind, connection, organizationId, table, query, queryParameters, columns, spatialColumn, tileResolution, filters, quadbin, featureBbox });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(definition)), 0, 16);
    }
}
