using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.MapsApi.Maps;

/// <summary>One attribute's statistics as CARTO's tilestats has them: min/max/sum for numbers, the top categories otherwise.</summary>
public sealed record AttributeStats(string Attribute, string Type, double? Min, double? Max, double? Sum, IReadOnlyList<CategoryStats>? Categories);

public sealed record CategoryStats(string Category, long Frequency);

/// <summary>What TileJSON and the instantiation say about a source's rows: count, bounds (EPSG:4326), geometry types, attributes.</summary>
public sealed record SourceStats(long Count, double[]? Bounds, IReadOnlyList<string> GeometryTypes, IReadOnlyList<AttributeStats> Attributes, long? Size)
{
    public const int TopCategories = 10;

    /// <summary>TileJSON's type of an attribute, from its CARTO schema type.</summary>
    public static string TileStatsType(string schemaType) => schemaType switch
    {
        "number" or "bigint" => "Number",
        "boolean" => "Boolean",
        "timestamp" => "Timestamp",
        _ => "String",
    };

    /// <summary>GeoJSON's name of a PostGIS geometry type (<c>MULTIPOLYGON</c> is a Polygon layer).</summary>
    public static string GeoJsonGeometryType(string postgisType) => postgisType.ToUpperInvariant() switch
    {
        "POINT" or "MULTIPOINT" => "Point",
        "LINESTRING" or "MULTILINESTRING" => "LineString",
        "POLYGON" or "MULTIPOLYGON" => "Polygon",
        _ => "Geometry",
    };
}

/// <summary>Reads a source's statistics as its organization, read-only, under the Maps API's statement timeout.</summary>
public sealed class SourceStatsReader(IOptions<MapsApiOptions> options)
{
    public async Task<SourceStats> ReadAsync(NpgsqlConnection warehouse, MapSource source, CancellationToken cancellationToken)
    {
        var geometry = source.GeometrySql;
        var inDegrees = source.GeometryInDegreesSql;
        var attributes = source.Attributes.ToList();
        var numeric = attributes.Where(column => column.Type is "number" or "bigint").ToList();
        var categorical = attributes.Where(column => column.Type is "string" or "boolean").ToList();

        // What the instantiation's filters keep, as the tiles do.
        var parameters = QueryParameters.Parse(source.QueryParameters).Parameters!;
        var filter = source.FilterCondition(parameters);
        // A quadbin source whose spatial column holds cells has no geometry to measure: it covers the world.
        var geometries = source.HasGeometry
            ? $"""
               ST_XMin(ST_Extent({inDegrees})), ST_YMin(ST_Extent({inDegrees})), ST_XMax(ST_Extent({inDegrees})), ST_YMax(ST_Extent({inDegrees})),
               coalesce(array_agg(DISTINCT GeometryType({geometry})) FILTER (WHERE {geometry} IS NOT NULL), ARRAY[]::text[])
               """
            : "NULL::float8, NULL::float8, NULL::float8, NULL::float8, ARRAY[]::text[]";
        var summary = new NpgsqlBatchCommand(
            $"""
             SELECT count(*)::bigint, {geometries}
                    {string.Concat(numeric.Select(column =>
                        $", min({Quoted(column)})::float8, max({Quoted(column)})::float8, sum({Quoted(column)})::float8"))}
             FROM {source.FromClause} AS source
             WHERE {filter}
             """);
        summary.Parameters.AddRange(parameters.ToArray());
        var commands = new List<NpgsqlBatchCommand> { summary };
        foreach (var column in categorical)
        {
            var command = new NpgsqlBatchCommand(
                $"""
                 SELECT {Quoted(column)}::text, count(*) FROM {source.FromClause} AS source
                 WHERE {Quoted(column)} IS NOT NULL AND ({filter}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {SourceStats.TopCategories}
                 """);
            command.Parameters.AddRange(parameters.Select(parameter => parameter.Clone()).ToArray());
            commands.Add(command);
        }
        if (source.Table is not null)
        {
            commands.Add(new NpgsqlBatchCommand("SELECT pg_total_relation_size(to_regclass($1))")
            {
                Parameters = { new NpgsqlParameter { Value = source.FromClause } },
            });
        }

        await using var batch = ReadOnlyBatch.Create(warehouse, options.Value.StatementTimeout, commands.ToArray());
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var count = reader.GetInt64(0);
        double[]? bounds = reader.IsDBNull(1) ? null : [reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4)];
        var geometryTypes = reader.GetFieldValue<string[]>(5);
        var numbers = new Dictionary<string, (double? Min, double? Max, double? Sum)>();
        for (var i = 0; i < numeric.Count; i++)
        {
            numbers[numeric[i].Name] = (Nullable(reader, 6 + 3 * i), Nullable(reader, 7 + 3 * i), Nullable(reader, 8 + 3 * i));
        }
        var categories = new Dictionary<string, List<CategoryStats>>();
        foreach (var column in categorical)
        {
            await reader.NextResultAsync(cancellationToken);
            var top = new List<CategoryStats>();
            while (await reader.ReadAsync(cancellationToken))
            {
                top.Add(new CategoryStats(reader.GetString(0), reader.GetInt64(1)));
            }
            categories[column.Name] = top;
        }
        long? size = null;
        if (source.Table is not null && await reader.NextResultAsync(cancellationToken) && await reader.ReadAsync(cancellationToken) &&
            !reader.IsDBNull(0))
        {
            size = reader.GetInt64(0);
        }

        var stats = attributes.Select(column => numbers.TryGetValue(column.Name, out var number)
            ? new AttributeStats(column.Name, SourceStats.TileStatsType(column.Type), number.Min, number.Max, number.Sum, null)
            : new AttributeStats(column.Name, SourceStats.TileStatsType(column.Type), null, null, null,
                categories.GetValueOrDefault(column.Name)));
        return new SourceStats(count, bounds, geometryTypes, stats.ToList(), size);
    }

    private static string Quoted(SourceColumn column) => "source." + SqlIdentifier.Quote(column.Name);

    private static double? Nullable(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);
}
