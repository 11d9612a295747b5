using System.Globalization;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Maps;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Tiles;
using Npgsql;
using NpgsqlTypes;

namespace CartoSelfHosted.MapsApi.Widgets;

/// <summary>
/// The pieces of one widget statement over a source: its columns (as described by PostgreSQL), its geometry column (the
/// request's <c>spatialDataColumn</c>), the parameters bound so far (the source's own <c>queryParameters</c> first, as
/// <c>$1…</c>), and the WHERE clause its filters make.
/// </summary>
public sealed class WidgetSql(string fromClause, IReadOnlyList<QueryColumn> columns, List<NpgsqlParameter> parameters)
{
    private readonly Dictionary<string, QueryColumn> _columns = columns.GroupBy(column => column.Name)
        .ToDictionary(group => group.Key, group => group.First());

    public string From { get; } = $"{fromClause} AS source";

    public IReadOnlySet<string> ColumnNames { get; } = columns.Select(column => column.Name).ToHashSet();

    public List<NpgsqlParameter> Parameters { get; } = parameters;

    public string SpatialColumn { get; init; } = MapSourceResolver.DefaultSpatialColumn;

    /// <summary>Conditions ANDed into every statement of the request (filters, spatial filters, the model's own).</summary>
    public List<string> Conditions { get; } = [];

    public string Where => Conditions.Count == 0 ? "true" : string.Join(" AND ", Conditions.Select(condition => $"({condition})"));

    /// <summary>A column of the source, quoted, on the row alias <c>source</c>.</summary>
    public string Column(string? name) => ColumnOf(name).Sql;

    public (QueryColumn Column, string Sql) ColumnOf(string? name) =>
        name is not null && _columns.TryGetValue(name, out var column)
            ? (column, "source." + SqlIdentifier.Quote(column.Name))
            : throw new WidgetError(WidgetError.ColumnNotFound, name ?? "");

    /// <summary>
    /// Each row's <see cref="TileFeatureProperties.FeatureId"/>, as the source's tiles carry it: computed the same way from
    /// the same geometry column.
    /// </summary>
    public string FeatureId
    {
        get
        {
            var (column, reference) = ColumnOf(SpatialColumn);
            return column.Kind == ColumnKind.Geometry
                ? TileFeatureProperties.FeatureIdSql($"{reference}::geometry")
                : throw new WidgetError(WidgetError.InvalidParameters,
                    $"spatialDataColumn '{SpatialColumn}' is of type {column.DatabaseType}, not a geometry: features are told apart by their geometry.");
        }
    }

    /// <summary>A geometry (or geography) column's value in EPSG:4326; a geometry without SRID is taken as already in it.</summary>
    public static string InDegrees(string reference) =>
        $"CASE WHEN ST_SRID({reference}::geometry) IN (0, 4326) THEN {reference}::geometry ELSE ST_Transform({reference}::geometry, 4326) END";

    /// <summary>Binds a value, returning its placeholder.</summary>
    public string Bind<T>(T value, NpgsqlDbType? type = null)
    {
        var parameter = new NpgsqlParameter<T> { TypedValue = value };
        if (type is { } dbType)
        {
            parameter.NpgsqlDbType = dbType;
        }
        Parameters.Add(parameter);
        return "$" + Parameters.Count;
    }

    /// <summary>
    /// An aggregate of CARTO's <c>operation</c> over <paramref name="column"/>: count (of rows for <c>*</c>), avg, min, max,
    /// sum, or <c>custom</c> with its <c>operationExp</c>.
    /// </summary>
    public string Aggregate(string? operation, string? column, string? operationExpression) =>
        (operation ?? "count").ToLowerInvariant() switch
        {
            "count" => column is null or "*" ? "count(*)" : $"count({Column(column)})",
            "avg" or "min" or "max" or "sum" => $"{operation!.ToLowerInvariant()}({Column(column)})",
            "custom" => AggregateExpression.Parse(operationExpression is { Length: > 0 } expression ? expression
                : throw new WidgetError(WidgetError.InvalidParameters, "operation 'custom' needs operationExp."), ColumnNames),
            var other => throw new WidgetError(WidgetError.InvalidParameters,
                $"operation is one of count, avg, min, max, sum and custom; '{other}' is not one."),
        };

    /// <summary>A JSON string parameter of the request's <c>params</c>; null when absent.</summary>
    public static string? Text(JsonElement parameters, string name) =>
        parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null => null,
                _ => throw new WidgetError(WidgetError.InvalidParameters, $"params.{name} is a string."),
            }
            : null;

    /// <summary>A JSON array of strings of the request's <c>params</c>; null when absent.</summary>
    public static List<string>? Texts(JsonElement parameters, string name) =>
        parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String)
                ? value.EnumerateArray().Select(item => item.GetString()!).ToList()
                : throw new WidgetError(WidgetError.InvalidParameters, $"params.{name} is an array of strings.")
            : null;

    public static double? Number(JsonElement parameters, string name) =>
        parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.Number ? value.GetDouble()
            : value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed
            : throw new WidgetError(WidgetError.InvalidParameters, $"params.{name} is a number.")
            : null;

    public static int? Integer(JsonElement parameters, string name) =>
        parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number
            : value.ValueKind == JsonValueKind.String && int.TryParse(value.GetString(), out var parsed) ? parsed
            : throw new WidgetError(WidgetError.InvalidParameters, $"params.{name} is a whole number.")
            : null;
}
