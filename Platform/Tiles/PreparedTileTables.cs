using System.Security.Cryptography;
using System.Text;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CartoSelfHosted.Platform.Tiles;

/// <summary>
/// A warehouse table's geometry column, as a map's tiles are made from it, and the role the table is read as (the
/// organization's, whose map it is).
/// </summary>
public sealed record TileTableSource(string Schema, string Table, string SpatialColumn, string Reader)
{
    /// <summary>
    /// The prepared copy's name in <see cref="PreparedTileTables.SchemaName"/>: stable for the source (a refresh swaps
    /// the content under the same name), derived by hash so no caller's text reaches it.
    /// </summary>
    public string PreparedName
    {
        get
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{Schema}\0{Table}\0{SpatialColumn}"));
            return "t_" + Convert.ToHexStringLower(hash, 0, 12);
        }
    }

    public string QualifiedPreparedName => $"{PreparedTileTables.SchemaName}.{PreparedName}";
}

/// <summary>What preparing a source found: its geometry types and the share of points each zoom leaves out.</summary>
public sealed record PreparedTileTable(TileTableSource Source, IReadOnlyList<string> GeometryTypes, IReadOnlyList<double> FractionDroppedPerZoom);

/// <summary>
/// Prepared copies of tables for tiles, laid out by <see cref="TilePyramid"/>'s rules in the administrator's
/// <c>carto_tiles</c> schema (no organization can read it; maps-api checks the caller may read the source before it
/// serves tiles from a copy). A copy is made on a table's first map and rebuilt when the table changes
/// (<see cref="RefreshAsync"/>, on its data-changed event), so no tile request pays for preparation.
/// </summary>
public sealed class PreparedTileTables(WarehouseDatabase warehouse, ILoggerFactory loggerFactory) : IAsyncDisposable
{
    public const string SchemaName = "carto_tiles";

    /// <summary>Columns of a copy that are the platform's, not the source's; a source column of the same name is left out.</summary>
    public static readonly IReadOnlySet<string> ReservedColumns = new HashSet<string>(StringComparer.Ordinal)
    {
        "_carto_id", "_carto_zmin", "_carto_zmax", "_carto_geom", TileFeatureProperties.FeatureId, TileFeatureProperties.Bbox,
    };

    /// <summary>
    /// The layout copies are made in now, kept with each in the registry: a copy of an older layout is made again on its
    /// source's next instantiation. 2: every row carries its feature's id and bounding box (<see cref="TileFeatureProperties"/>).
    /// </summary>
    private const int Layout = 2;

    private readonly ILogger _logger = loggerFactory.CreateLogger<PreparedTileTables>();

    // Preparing a large table takes minutes, well past Npgsql's default command timeout of 30 s.
    private readonly NpgsqlDataSource _dataSource =
        warehouse.CreateDataSource("warehouse:tile-preparation", connectionString => connectionString.CommandTimeout = 0, loggerFactory);

    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private volatile bool _schemaReady;

    /// <summary>The source's prepared copy, made now if there is none. Null when the source table or column does not exist.</summary>
    public async Task<PreparedTileTable?> EnsureAsync(TileTableSource source, CancellationToken cancellationToken)
    {
        return await FindAsync(source, cancellationToken) ?? await BuildAsync(source, onlyIfMissing: true, cancellationToken);
    }

    /// <summary>
    /// Rebuilds every prepared copy of a table that changed (or drops them when the table or its column is gone). Safe to
    /// repeat. Returns how many copies were rebuilt or dropped.
    /// </summary>
    public async Task<int> RefreshAsync(string schema, string table, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        var sources = new List<TileTableSource>();
        await using (var command = _dataSource.CreateCommand(
            $"SELECT spatial_column, reader FROM {SchemaName}.prepared WHERE source_schema = $1 AND source_table = $2"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = schema });
            command.Parameters.Add(new NpgsqlParameter { Value = table });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                sources.Add(new TileTableSource(schema, table, reader.GetString(0), reader.GetString(1)));
            }
        }
        foreach (var source in sources)
        {
            await BuildAsync(source, onlyIfMissing: false, cancellationToken);
        }
        return sources.Count;
    }

    private async Task<PreparedTileTable?> FindAsync(TileTableSource source, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand(
            $"""
             SELECT geometry_types, fraction_dropped_per_zoom FROM {SchemaName}.prepared
             WHERE source_schema = $1 AND source_table = $2 AND spatial_column = $3 AND layout = {Layout}
             """);
        command.Parameters.Add(new NpgsqlParameter { Value = source.Schema });
        command.Parameters.Add(new NpgsqlParameter { Value = source.Table });
        command.Parameters.Add(new NpgsqlParameter { Value = source.SpatialColumn });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new PreparedTileTable(source, reader.GetFieldValue<string[]>(0), reader.GetFieldValue<double[]>(1))
            : null;
    }

    private async Task<PreparedTileTable?> BuildAsync(TileTableSource source, bool onlyIfMissing, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // One build of a source at a time; the second caller finds the first's copy.
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", cancellationToken,
            $"carto_tiles:{source.Schema}.{source.Table}.{source.SpatialColumn}");
        if (onlyIfMissing && await FindInTransactionAsync(connection, source, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return await FindAsync(source, cancellationToken);
        }

        // ST_IsValid tells each invalid geometry's reason as a NOTICE: not news here, they are repaired. Ranking points
        // aggregates a row per point and zoom: in memory rather than in files on disk.
        await connection.ExecuteAsync("SET LOCAL client_min_messages = warning", cancellationToken);
        await connection.ExecuteAsync("SET LOCAL work_mem = '256MB'", cancellationToken);
        var columns = await SourceColumnsAsync(connection, source, cancellationToken);
        var prepared = SqlIdentifier.Quote(source.PreparedName);
        if (columns is null)
        {
            // The table or its column is gone: so is its copy.
            await connection.ExecuteAsync($"DROP TABLE IF EXISTS {SchemaName}.{prepared}", cancellationToken);
            await connection.ExecuteAsync(
                $"DELETE FROM {SchemaName}.prepared WHERE source_schema = $1 AND source_table = $2 AND spatial_column = $3",
                cancellationToken, source.Schema, source.Table, source.SpatialColumn);
            await transaction.CommitAsync(cancellationToken);
            return null;
        }

        var attributes = string.Concat(columns.Select(column => ", s." + SqlIdentifier.Quote(column)));
        // What a line's or polygon's pieces copy of it.
        var copiedAttributes = $", {TileFeatureProperties.FeatureId}, {TileFeatureProperties.Bbox}" +
            string.Concat(columns.Select(column => ", " + SqlIdentifier.Quote(column)));
        var geometry = "s." + SqlIdentifier.Quote(source.SpatialColumn) + "::geometry";
        // The source is read as its organization: whatever runs in reading it (a view's functions) runs with that role's
        // rights, never the administrator's. Everything after reads only this temporary copy, owned by no one else.
        await connection.ExecuteAsync($"SET LOCAL ROLE {SqlIdentifier.Quote(source.Reader)}", cancellationToken);
        await connection.ExecuteAsync(
            $"""
             CREATE TEMPORARY TABLE carto_source ON COMMIT DROP AS
             SELECT {geometry} AS carto_geometry{attributes} FROM {SqlIdentifier.Quote(source.Schema)}.{SqlIdentifier.Quote(source.Table)} s
             WHERE {geometry} IS NOT NULL
             """, cancellationToken);
        await connection.ExecuteAsync("RESET ROLE", cancellationToken);

        // The working table is temporary too: no WAL for what the copy below rewrites anyway.
        const string target = "carto_build";
        // Every geometry in EPSG:4326 (no SRID is taken as 4326), 2D, lines and polygons repaired, cut to Web Mercator's
        // latitudes, then in EPSG:3857 once here rather than in every tile (OFFSET 0 keeps each step computed once per
        // row). Non-points start with zooms -1: they are replaced by their simplified, subdivided pieces below, which
        // keep the feature's id and bounding box, made here from the geometry as the table has it, whole.
        await connection.ExecuteAsync(
            $"""
             CREATE TEMPORARY TABLE {target} ON COMMIT DROP AS
             SELECT (row_number() OVER ())::bigint AS _carto_id,
                    (CASE WHEN ST_Dimension(c.g) = 0 THEN {TilePyramid.FullPointZoom} ELSE -1 END)::smallint AS _carto_zmin,
                    (CASE WHEN ST_Dimension(c.g) = 0 THEN {TilePyramid.MaxZoom} ELSE -1 END)::smallint AS _carto_zmax,
                    ST_Transform(c.g, 3857) AS _carto_geom,
                    {TileFeatureProperties.FeatureIdSql("s.carto_geometry")} AS {TileFeatureProperties.FeatureId},
                    {TileFeatureProperties.BboxSql("r.g")} AS {TileFeatureProperties.Bbox}{attributes}
             FROM carto_source s
             CROSS JOIN LATERAL (SELECT ST_Force2D(CASE WHEN ST_SRID(s.carto_geometry) = 0 THEN ST_SetSRID(s.carto_geometry, 4326)
                                                        ELSE ST_Transform(s.carto_geometry, 4326) END) AS g OFFSET 0) r
             CROSS JOIN LATERAL (SELECT ST_ClipByBox2D({SchemaName}.repaired(r.g),
                                                       ST_MakeEnvelope(-180, -85.0511287798, 180, 85.0511287798, 4326)) AS g OFFSET 0) c
             WHERE NOT ST_IsEmpty(c.g)
             """, cancellationToken);
        await RankPointsAsync(connection, target, cancellationToken);
        await AddPiecesAsync(connection, target, copiedAttributes, cancellationToken);
        // The copy, stored in order of first zoom: a shallow tile reads the few rows of its zooms, which lie together and
        // are found by the btree on _carto_zmin rather than by the whole world's bounding boxes.
        var copy = $"{SchemaName}.{SqlIdentifier.Quote(source.PreparedName + "_next")}";
        await connection.ExecuteAsync($"DROP TABLE IF EXISTS {copy}", cancellationToken);
        await connection.ExecuteAsync(
            $"CREATE TABLE {copy} AS SELECT * FROM {target} WHERE _carto_zmax <> -1 ORDER BY _carto_zmin, _carto_id", cancellationToken);
        await connection.ExecuteAsync($"DROP TABLE {target}", cancellationToken);
        await connection.ExecuteAsync($"CREATE INDEX ON {copy} USING gist (_carto_geom)", cancellationToken);
        await connection.ExecuteAsync($"CREATE INDEX ON {copy} (_carto_zmin)", cancellationToken);
        await connection.ExecuteAsync($"ANALYZE {copy}", cancellationToken);

        var geometryTypes = await ReadAsync<string[]>(connection,
            $"SELECT coalesce(array_agg(DISTINCT GeometryType(_carto_geom) ORDER BY GeometryType(_carto_geom)), '{{}}') FROM {copy} WHERE _carto_zmax = {TilePyramid.MaxZoom}",
            cancellationToken);
        var fractionDropped = FractionDroppedPerZoom(await ReadAsync<short[]>(connection,
            $"SELECT coalesce(array_agg(_carto_zmin), '{{}}') FROM {copy} WHERE ST_Dimension(_carto_geom) = 0", cancellationToken));

        await connection.ExecuteAsync($"DROP TABLE IF EXISTS {SchemaName}.{prepared}", cancellationToken);
        await connection.ExecuteAsync($"ALTER TABLE {copy} RENAME TO {prepared}", cancellationToken);
        await connection.ExecuteAsync(
            $"""
             INSERT INTO {SchemaName}.prepared (source_schema, source_table, spatial_column, reader, geometry_types, fraction_dropped_per_zoom, layout)
             VALUES ($1, $2, $3, $4, $5, $6, {Layout})
             ON CONFLICT (source_schema, source_table, spatial_column)
             DO UPDATE SET reader = excluded.reader, geometry_types = excluded.geometry_types,
                           fraction_dropped_per_zoom = excluded.fraction_dropped_per_zoom, layout = excluded.layout, prepared_at = now()
             """, cancellationToken, source.Schema, source.Table, source.SpatialColumn, source.Reader, geometryTypes, fractionDropped);
        await transaction.CommitAsync(cancellationToken);
        _logger.LogInformation("Prepared {Schema}.{Table} ({Column}) for tiles in {Elapsed:0} ms", source.Schema, source.Table,
            source.SpatialColumn, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        return new PreparedTileTable(source, geometryTypes, fractionDropped);
    }

    /// <summary>For each zoom up to <see cref="TilePyramid.FullPointZoom"/>, the share of the points that appear only deeper.</summary>
    private static double[] FractionDroppedPerZoom(short[] pointZooms) =>
        Enumerable.Range(0, TilePyramid.FullPointZoom + 1)
            .Select(zoom => pointZooms.Length == 0 ? 0 : pointZooms.Count(first => first > zoom) / (double)pointZooms.Length)
            .ToArray();

    /// <summary>
    /// Each line and polygon as pieces per band of zooms, deepest band first: each band simplifies the one below it, so
    /// every simplification reads the fewest vertices. Douglas-Peucker (<c>ST_Simplify</c>) is several times faster than
    /// the topology-preserving variant; a polygon it leaves invalid is made valid again by <c>ST_AsMVTGeom</c> when drawn,
    /// and by <c>pieces</c> if GEOS cannot cut it.
    /// </summary>
    private static async Task AddPiecesAsync(NpgsqlConnection connection, string target, string copiedAttributes, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(
            $"CREATE TEMPORARY TABLE carto_shapes ON COMMIT DROP AS SELECT _carto_id, _carto_geom AS shape FROM {target} WHERE _carto_zmax = -1",
            cancellationToken);
        foreach (var band in TilePyramid.Bands.Reverse())
        {
            if (band.Tolerance is { } tolerance)
            {
                await connection.ExecuteAsync(
                    $"UPDATE carto_shapes SET shape = ST_Simplify(shape, {TilePyramid.Literal(tolerance)}, false)", cancellationToken);
            }
            await connection.ExecuteAsync(
                $"""
                 INSERT INTO {target} (_carto_id, _carto_zmin, _carto_zmax, _carto_geom{copiedAttributes})
                 SELECT t._carto_id, {band.MinZoom}, {band.MaxZoom}, piece{copiedAttributes.Replace(", ", ", t.")}
                 FROM carto_shapes s JOIN {target} t ON t._carto_id = s._carto_id AND t._carto_zmax = -1
                 CROSS JOIN LATERAL {SchemaName}.pieces(s.shape, {TilePyramid.MaxVerticesPerPiece}) AS piece
                 """, cancellationToken);
        }
    }

    /// <summary>
    /// A point's first zoom: the shallowest zoom below <see cref="TilePyramid.FullPointZoom"/> where it comes first (in table
    /// order) in its cell of the zoom's grid. Each cell's first is found by hash aggregation (<c>min</c>), not by sorting.
    /// </summary>
    private static Task RankPointsAsync(NpgsqlConnection connection, string target, CancellationToken cancellationToken)
    {
        var world = TilePyramid.Literal(TilePyramid.HalfWorld);
        return connection.ExecuteAsync(
            $"""
             UPDATE {target} p SET _carto_zmin = ranked.zoom
             FROM (SELECT leader AS _carto_id, min(z) AS zoom
                   FROM (SELECT z, min(_carto_id) AS leader
                         FROM (SELECT _carto_id, ST_X(ST_GeometryN(_carto_geom, 1)) + {world} AS x, ST_Y(ST_GeometryN(_carto_geom, 1)) + {world} AS y
                               FROM {target} WHERE ST_Dimension(_carto_geom) = 0) points
                         CROSS JOIN LATERAL (SELECT z, 2 * {world} / (2 ^ z) / {TilePyramid.PointGridCells} AS cell
                                             FROM generate_series(0, {TilePyramid.FullPointZoom - 1}) AS z) zooms
                         GROUP BY z, floor(x / cell), floor(y / cell)) cells
                   GROUP BY leader) ranked
             WHERE p._carto_id = ranked._carto_id
             """, cancellationToken);
    }

    /// <summary>The source's attribute columns (not spatial, not reserved); null when the table or its spatial column is missing.</summary>
    private static async Task<List<string>?> SourceColumnsAsync(NpgsqlConnection connection, TileTableSource source,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT a.attname, t.typname IN ('geometry', 'geography') AS spatial
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_type t ON t.oid = a.atttypid
            WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = source.Schema });
        command.Parameters.Add(new NpgsqlParameter { Value = source.Table });
        var columns = new List<string>();
        var spatialColumnFound = false;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (name, spatial) = (reader.GetString(0), reader.GetBoolean(1));
            if (name == source.SpatialColumn)
            {
                spatialColumnFound = spatial;
            }
            else if (!spatial && !ReservedColumns.Contains(name))
            {
                columns.Add(name);
            }
        }
        return spatialColumnFound ? columns : null;
    }

    private static async Task<bool> FindInTransactionAsync(NpgsqlConnection connection, TileTableSource source, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT 1 FROM {SchemaName}.prepared WHERE source_schema = $1 AND source_table = $2 AND spatial_column = $3 AND layout = {Layout}",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = source.Schema });
        command.Parameters.Add(new NpgsqlParameter { Value = source.Table });
        command.Parameters.Add(new NpgsqlParameter { Value = source.SpatialColumn });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static async Task<T> ReadAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// The schema, its registry and two functions that never fail on bad geometry: <c>repaired</c> (lines and polygons
    /// through ST_MakeValid, keeping their dimension) and <c>pieces</c> (ST_Subdivide; a geometry GEOS cannot cut is
    /// repaired and cut again, and kept whole if that fails too).
    /// </summary>
    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
        {
            return;
        }
        await _schemaGate.WaitAsync(cancellationToken);
        try
        {
            if (_schemaReady)
            {
                return;
            }
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtextextended('carto_tiles:schema', 0))", cancellationToken);
            await connection.ExecuteAsync($"CREATE SCHEMA IF NOT EXISTS {SchemaName}", cancellationToken);
            await connection.ExecuteAsync(
                $"""
                 CREATE TABLE IF NOT EXISTS {SchemaName}.prepared (
                     source_schema text NOT NULL,
                     source_table text NOT NULL,
                     spatial_column text NOT NULL,
                     reader text NOT NULL,
                     geometry_types text[] NOT NULL,
                     fraction_dropped_per_zoom float8[] NOT NULL,
                     prepared_at timestamptz NOT NULL DEFAULT now(),
                     PRIMARY KEY (source_schema, source_table, spatial_column))
                 """, cancellationToken);
            // Copies made before layouts were counted are of layout 1.
            await connection.ExecuteAsync($"ALTER TABLE {SchemaName}.prepared ADD COLUMN IF NOT EXISTS layout int NOT NULL DEFAULT 1", cancellationToken);
            await connection.ExecuteAsync(
                $"""
                 CREATE OR REPLACE FUNCTION {SchemaName}.repaired(g geometry) RETURNS geometry
                 LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
                 BEGIN
                     IF ST_Dimension(g) = 0 OR ST_IsValid(g) THEN
                         RETURN g;
                     END IF;
                     BEGIN
                         -- 'structure' rebuilds a polygon from its rings (faster, and keeps its area); lines keep their linework.
                         RETURN ST_CollectionExtract(ST_MakeValid(g, CASE WHEN ST_Dimension(g) = 2 THEN 'method=structure' ELSE 'method=linework' END),
                                                     ST_Dimension(g) + 1);
                     EXCEPTION WHEN OTHERS THEN
                         RETURN g;
                     END;
                 END $$
                 """, cancellationToken);
            await connection.ExecuteAsync(
                $"""
                 CREATE OR REPLACE FUNCTION {SchemaName}.pieces(g geometry, max_vertices int) RETURNS SETOF geometry
                 LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
                 BEGIN
                     IF g IS NULL OR ST_IsEmpty(g) THEN
                         RETURN;
                     END IF;
                     BEGIN
                         RETURN QUERY SELECT ST_Subdivide(g, max_vertices);
                     EXCEPTION WHEN OTHERS THEN
                         BEGIN
                             RETURN QUERY SELECT ST_Subdivide(ST_MakeValid(g), max_vertices);
                         EXCEPTION WHEN OTHERS THEN
                             RETURN NEXT g;
                         END;
                     END;
                 END $$
                 """, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            _schemaReady = true;
        }
        finally
        {
            _schemaGate.Release();
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
