using System.Buffers.Binary;
using System.Globalization;
using CartoSelfHosted.MapsApi.Maps.SpatialTiles;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.MapsApi.Widgets;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Tiles;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.MapsApi.Maps;

/// <summary>
/// Makes a quadbin source's tile in one statement on its connection (read-only, as the organization, under the tile
/// statement timeout): the source's rows in the tile, grouped by their cell at the tile's cell resolution, each group's
/// aggregates (<c>aggregationExp</c>, parsed, never pasted), written as CARTO's spatial tile, which deck.gl's
/// QuadbinTileLayer, HeatmapTileLayer and ClusterTileLayer read. A column of cells is read through its btree (a tile's
/// descendants are one range of it); a geometry column's points are binned as the tile is made, through its GiST index.
/// Null when the tile has no cell.
/// </summary>
public sealed class QuadbinTileRenderer(IOptions<MapsApiOptions> options)
{
    public const string ContentType = "application/vnd.carto-spatial-tile";

    /// <summary>Web Mercator's latitude limit: a point beyond it is in no tile.</summary>
    private const string MaxLatitude = "85.0511287798066";

    public async Task<byte[]?> RenderAsync(MapSource source, DataConnection connection, long tile, CancellationToken cancellationToken)
    {
        var aggregation = source.Quadbin ?? throw new ArgumentException("Not a quadbin source.", nameof(source));
        var (z, x, y) = Quadbin.ToTile(tile);
        if (z > aggregation.DataResolution)
        {
            // Deeper than the data: deck.gl stops at maxresolution, a hand-made URL gets nothing.
            return null;
        }
        var resolution = aggregation.CellResolution(z);
        var aggregates = AggregateExpression.ParseList(aggregation.Expression, source.Columns.Select(column => column.Name).ToHashSet());
        var parameters = QueryParameters.Parse(source.QueryParameters).Parameters!;
        var filter = source.FilterCondition(parameters);
        var selectAggregates = string.Concat(aggregates.Select((aggregate, i) => $", {aggregate.Sql} AS _carto_value_{i}"));

        var sql = new WidgetSql(source.FromClause, [], parameters);
        string statement;
        if (source.HasGeometry)
        {
            var cellsPerSide = 1L << resolution;
            var first = (x << (resolution - z), y << (resolution - z));
            var last = (((x + 1) << (resolution - z)) - 1, ((y + 1) << (resolution - z)) - 1);
            // A point's cell from its longitude and latitude (Web Mercator's y, as deck.gl's and CARTO's tiles have it);
            // the latitude is held within the projection's limit so that no row outside the tile can fail the logarithm.
            // The point is computed once a row (OFFSET 0 keeps PostgreSQL from copying its expression into each use).
            statement = $"""
                SELECT cell.x, cell.y{selectAggregates}
                FROM {sql.From}
                CROSS JOIN LATERAL (SELECT CASE WHEN GeometryType(shape.g) = 'POINT' THEN shape.g ELSE ST_PointOnSurface(shape.g) END AS p
                                    FROM (SELECT {source.GeometryInDegreesSql} AS g) AS shape OFFSET 0) AS point
                CROSS JOIN LATERAL (SELECT floor((ST_X(point.p) + 180) / 360 * {cellsPerSide})::bigint AS x,
                                           floor((0.5 - ln(tan(pi() / 4 + radians(least(greatest(ST_Y(point.p), -{MaxLatitude}), {MaxLatitude})) / 2))
                                                        / (2 * pi())) * {cellsPerSide})::bigint AS y) AS cell
                WHERE {source.GeometrySql} && ST_Transform(ST_TileEnvelope({sql.Bind(z)}, {sql.Bind((int)x)}, {sql.Bind((int)y)}), 4326)
                  AND cell.x BETWEEN {sql.Bind(first.Item1)} AND {sql.Bind(last.Item1)}
                  AND cell.y BETWEEN {sql.Bind(first.Item2)} AND {sql.Bind(last.Item2)}
                  AND ({filter})
                GROUP BY cell.x, cell.y
                ORDER BY cell.y, cell.x
                """;
        }
        else
        {
            var (first, last) = Quadbin.DescendantRange(tile, aggregation.DataResolution);
            var column = $"source.{SqlIdentifier.Quote(source.SpatialColumn)}";
            statement = $"""
                SELECT {Quadbin.AncestorSql(column, resolution)} AS cell{selectAggregates}
                FROM {sql.From}
                WHERE {column} BETWEEN {sql.Bind(first)} AND {sql.Bind(last)} AND ({filter})
                GROUP BY 1
                ORDER BY 1
                """;
        }
        var command = new NpgsqlBatchCommand(statement);
        command.Parameters.AddRange(sql.Parameters.ToArray());

        await using var session = await connection.OpenAsync(cancellationToken);
        // Never committed: the connection's return to the pool rolls it back.
        await using var transaction = await session.BeginTransactionAsync(cancellationToken);
        await using var batch = ReadOnlyBatch.Create(session, options.Value.TileStatementTimeout, command);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var valuesFrom = source.HasGeometry ? 2 : 1;
        var cells = new List<long>();
        var numbers = aggregates.Select((_, i) => IsNumber(reader.GetFieldType(valuesFrom + i)) ? new List<double>() : null).ToList();
        var texts = new List<Properties>();
        while (await reader.ReadAsync(cancellationToken))
        {
            cells.Add(source.HasGeometry ? Quadbin.FromTile(resolution, reader.GetInt64(0), reader.GetInt64(1)) : reader.GetInt64(0));
            var properties = new Properties();
            for (var i = 0; i < aggregates.Count; i++)
            {
                var ordinal = valuesFrom + i;
                if (numbers[i] is { } values)
                {
                    values.Add(reader.IsDBNull(ordinal) ? double.NaN : Convert.ToDouble(reader.GetValue(ordinal), CultureInfo.InvariantCulture));
                }
                else if (!reader.IsDBNull(ordinal))
                {
                    properties.Values.Add(new KeyValue { Key = aggregates[i].Alias, Value = Convert.ToString(reader.GetValue(ordinal), CultureInfo.InvariantCulture) ?? "" });
                }
            }
            texts.Add(properties);
        }
        return cells.Count == 0 ? null : Encode(cells, aggregates, numbers, texts);
    }

    private static byte[] Encode(List<long> cells, IReadOnlyList<(string Sql, string Alias)> aggregates, List<List<double>?> numbers,
        List<Properties> texts)
    {
        var indices = new byte[cells.Count * sizeof(long)];
        for (var i = 0; i < cells.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(indices.AsSpan(i * sizeof(long)), cells[i]);
        }
        var content = new Cells { Indices = new Indices { Value = ByteString.CopyFrom(indices) } };
        // String properties are one message per cell, read by the cell's position; none at all when no aggregate is text.
        if (numbers.Any(values => values is null))
        {
            content.Properties.AddRange(texts);
        }
        for (var i = 0; i < aggregates.Count; i++)
        {
            if (numbers[i] is not { } values)
            {
                continue;
            }
            var bytes = new byte[values.Count * sizeof(double)];
            for (var cell = 0; cell < values.Count; cell++)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(cell * sizeof(double)), values[cell]);
            }
            content.NumericProps.Add(new NumericPropKeyValue { Key = aggregates[i].Alias, Value = new NumericProp { Value = ByteString.CopyFrom(bytes) } });
        }
        return new SpatialTile { Cells = content }.ToByteArray();
    }

    private static bool IsNumber(Type type) =>
        type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(double) || type == typeof(float) || type == typeof(decimal);
}
