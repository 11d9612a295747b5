using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Tiles;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.MapsApi.Maps;

public enum TileFormat { Mvt, GeoJson }

/// <summary>The administrator's pool for tiles of table sources: read-only sessions under the tile statement timeout.</summary>
public sealed class TileDataSource(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public static TileDataSource Create(WarehouseDatabase warehouse, MapsApiOptions options, ILoggerFactory loggerFactory) =>
        new(warehouse.CreateDataSource("warehouse:tiles", connectionString => connectionString.Options =
            $"-c statement_timeout={(long)options.TileStatementTimeout.TotalMilliseconds} -c default_transaction_read_only=on " +
            ReadOnlyBatch.InteractiveOptions, loggerFactory));

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}

/// <summary>
/// Makes one tile in one SQL statement on <c>ST_TileEnvelope</c>, the GiST index and <c>ST_AsMVT</c> (or GeoJSON). A
/// table's tiles read its prepared copy (see <see cref="TilePyramid"/> for what a tile keeps); a query's (and a table's
/// on a user's own connection) run it on its connection, read-only, and keep at most <see cref="TilePyramid.MaxFeaturesPerTile"/> features in the
/// query's order. Null when the tile has no feature.
/// </summary>
public sealed class TileRenderer(TileDataSource tiles, PreparedTileTables prepared,
    IOptions<MapsApiOptions> options)
{
    public const string LayerName = "default";

    /// <summary>What a tile takes in beyond its edges, as a part of its side: 64 units of a 4096 grid, as PostGIS's default.</summary>
    private const double BufferFraction = 1.0 / 64;

    private const string TileGeometry = "_carto_tile_geom";

    public async Task<byte[]?> RenderAsync(MapSource source, DataConnection connection, int z, int x, int y, TileFormat format,
        CancellationToken cancellationToken)
    {
        if (source.TileTable is { } table)
        {
            try
            {
                return await RenderTableAsync(source, table, z, x, y, format, cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn)
            {
                // The copy is made at instantiation; it is gone when the table was dropped (and perhaps made again) since,
                // and lacks columns when an older maps-api made it (EnsureAsync makes it again in the current layout).
                if (await prepared.EnsureAsync(table, cancellationToken) is null)
                {
                    return null;
                }
                return await RenderTableAsync(source, table, z, x, y, format, cancellationToken);
            }
        }
        return await RenderQueryAsync(source, connection, z, x, y, format, cancellationToken);
    }

    /// <summary>
    /// The statement for a table's tile, on its prepared copy (which keeps every column of the table, so the source's
    /// filters read it as they would the table, and each feature's id and bounding box); $1, $2, $3 are z, x and y, the
    /// filters' values come after.
    /// </summary>
    public static string TableTileSql(MapSource source, TileTableSource table, TileFormat format, string filterCondition = "true") =>
        TileSql(source, $"{PreparedTileTables.SchemaName}.{SqlIdentifier.Quote(table.PreparedName)}",
            $"source.{TileFeatureProperties.FeatureId}, " + (source.FeatureBbox ? $"source.{TileFeatureProperties.Bbox}, " : ""), "source._carto_geom",
            "source._carto_geom && ST_TileEnvelope($1, $2, $3, margin => " + TilePyramid.Literal(BufferFraction) + ")" +
            $" AND source._carto_zmin <= $1 AND source._carto_zmax >= $1 AND ({filterCondition})", format, 1);

    private async Task<byte[]?> RenderTableAsync(MapSource source, TileTableSource table, int z, int x, int y, TileFormat format,
        CancellationToken cancellationToken)
    {
        List<NpgsqlParameter> parameters =
        [
            new NpgsqlParameter<int> { TypedValue = z },
            new NpgsqlParameter<int> { TypedValue = x },
            new NpgsqlParameter<int> { TypedValue = y },
        ];
        var filter = source.FilterCondition(parameters);
        await using var command = tiles.DataSource.CreateCommand(TableTileSql(source, table, format, filter));
        command.CommandTimeout = 0;
        command.Parameters.AddRange(parameters.ToArray());
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    private async Task<byte[]?> RenderQueryAsync(MapSource source, DataConnection connection, int z, int x, int y, TileFormat format,
        CancellationToken cancellationToken)
    {
        var parameters = QueryParameters.Parse(source.QueryParameters).Parameters!;
        var first = parameters.Count + 1;
        var (zp, xp, yp) = ($"${first}", $"${first + 1}", $"${first + 2}");
        var geometry = source.GeometrySql;
        parameters.Add(new NpgsqlParameter<int> { TypedValue = z });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = x });
        parameters.Add(new NpgsqlParameter<int> { TypedValue = y });
        var filter = source.FilterCondition(parameters);
        var command = new NpgsqlBatchCommand(TileSql(source, source.FromClause, FeatureProperties(source, withBbox: source.FeatureBbox),
            $"ST_Transform({geometry}, 3857)",
            $"{geometry} && ST_Transform(ST_TileEnvelope({zp}, {xp}, {yp}, margin => {TilePyramid.Literal(BufferFraction)}), 4326) AND ({filter})",
            format, first));
        command.Parameters.AddRange(parameters.ToArray());

        await using var session = await connection.OpenAsync(cancellationToken);
        // Never committed: the connection's return to the pool rolls it back.
        await using var transaction = await session.BeginTransactionAsync(cancellationToken);
        await using var batch = ReadOnlyBatch.Create(session, options.Value.TileStatementTimeout, command);
        return await batch.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    /// <summary>
    /// The whole source as one GeoJSON FeatureCollection (EPSG:4326), read on its connection; null when it has more than
    /// <paramref name="maxFeatures"/> features.
    /// </summary>
    public async Task<byte[]?> SourceGeoJsonAsync(MapSource source, DataConnection connection, int maxFeatures, CancellationToken cancellationToken)
    {
        var parameters = QueryParameters.Parse(source.QueryParameters).Parameters!;
        var filter = source.FilterCondition(parameters);
        var command = new NpgsqlBatchCommand(
            $"""
             SELECT CASE WHEN count(*) > {maxFeatures} THEN NULL
                         ELSE convert_to(json_build_object('type', 'FeatureCollection', 'features',
                                  coalesce(json_agg(ST_AsGeoJSON(feature.*, '{TileGeometry}', 7)::json), '[]'::json))::text, 'UTF8') END
             FROM (SELECT {FeatureProperties(source, withBbox: false)}{Attributes(source)}{source.GeometryInDegreesSql} AS {TileGeometry}
                   FROM {source.FromClause} AS source
                   WHERE {filter}
                   LIMIT {maxFeatures + 1}) AS feature
             """);
        command.Parameters.AddRange(parameters.ToArray());
        await using var session = await connection.OpenAsync(cancellationToken);
        // Never committed: the connection's return to the pool rolls it back.
        await using var transaction = await session.BeginTransactionAsync(cancellationToken);
        await using var batch = ReadOnlyBatch.Create(session, options.Value.StatementTimeout, command);
        return await batch.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    /// <summary>
    /// One tile's statement: the rows of <paramref name="from"/> that <paramref name="filter"/> keeps, their
    /// <paramref name="featureProperties"/> (<see cref="TileFeatureProperties"/>, each followed by a comma) and columns,
    /// their geometry (<paramref name="webMercator"/>, in EPSG:3857) cut to the tile, encoded as MVT or as a GeoJSON
    /// FeatureCollection; z, x and y are the parameters from <paramref name="firstTileParameter"/> on.
    /// </summary>
    private static string TileSql(MapSource source, string from, string featureProperties, string webMercator, string filter, TileFormat format,
        int firstTileParameter)
    {
        var (z, x, y) = ($"${firstTileParameter}", $"${firstTileParameter + 1}", $"${firstTileParameter + 2}");
        var attributes = featureProperties + Attributes(source);
        var extent = source.TileExtent;
        var buffer = (int)(extent * BufferFraction);
        var (geometry, encode) = format == TileFormat.Mvt
            ? ($"ST_AsMVTGeom({webMercator}, ST_TileEnvelope({z}, {x}, {y}), {extent}, {buffer}, true)",
                $"CASE WHEN count({TileGeometry}) = 0 THEN NULL ELSE ST_AsMVT(tile.*, '{LayerName}', {extent}, '{TileGeometry}') END")
            : ($"ST_Transform(ST_ClipByBox2D({webMercator}, ST_TileEnvelope({z}, {x}, {y}, margin => {TilePyramid.Literal(BufferFraction)})), 4326)",
                $"CASE WHEN count({TileGeometry}) = 0 THEN NULL ELSE convert_to(json_build_object('type', 'FeatureCollection', 'features', " +
                $"json_agg(ST_AsGeoJSON(tile.*, '{TileGeometry}', 7)::json) FILTER (WHERE {TileGeometry} IS NOT NULL AND NOT ST_IsEmpty({TileGeometry})))::text, 'UTF8') END");
        return $"""
                SELECT {encode}
                FROM (SELECT {attributes}{geometry} AS {TileGeometry}
                      FROM {from} AS source
                      WHERE {filter}
                      LIMIT {TilePyramid.MaxFeaturesPerTile}) AS tile
                """;
    }

    /// <summary>
    /// Each feature's id and, <paramref name="withBbox"/>, its bounding box, computed from the source's geometry, each
    /// followed by a comma: what a table's prepared copy holds, for what is made from the source itself.
    /// </summary>
    private static string FeatureProperties(MapSource source, bool withBbox) =>
        $"{TileFeatureProperties.FeatureIdSql(source.GeometrySql)} AS {TileFeatureProperties.FeatureId}, " +
        (withBbox ? $"{TileFeatureProperties.BboxSql(source.GeometryInDegreesSql)} AS {TileFeatureProperties.Bbox}, " : "");

    /// <summary>The source's attribute columns, each followed by a comma. MVT carries numbers, booleans and strings; other types travel as their text.</summary>
    private static string Attributes(MapSource source) =>
        string.Concat(source.Attributes.Select(column =>
            column.Type is "number" or "bigint" or "boolean" or "string"
                ? $"source.{SqlIdentifier.Quote(column.Name)}, "
                : $"source.{SqlIdentifier.Quote(column.Name)}::text AS {SqlIdentifier.Quote(column.Name)}, "));
}
