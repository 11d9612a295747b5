using System.Globalization;
using CartoSelfHosted.MapsApi.Sql;

namespace CartoSelfHosted.MapsApi.Widgets;

/// <summary>
/// CARTO's Stats API answer for one column of a source, with its filters: numbers with min, max, avg, sum and
/// <c>quantiles[n]</c> (n + 1 breaks from min to max, n = 3…20, what fetchMap's color scales take); strings and booleans
/// with their categories, most frequent first; timestamps with min and max; a geometry column with its extent in
/// degrees (<c>widgetSource.getExtent</c>).
/// </summary>
public static class ColumnStats
{
    public const int MinQuantiles = 3;
    public const int MaxQuantiles = 20;
    public const int MaxCategories = 1000;

    public static string Statement(WidgetSql sql, string? columnName)
    {
        var (column, reference) = sql.ColumnOf(columnName);
        var attribute = sql.Bind(column.Name);
        return column.Kind switch
        {
            ColumnKind.Integer or ColumnKind.BigInteger or ColumnKind.Double => Numbers(sql, reference, attribute),
            ColumnKind.Text or ColumnKind.Uuid or ColumnKind.Boolean => Categories(sql, reference, attribute, column.Kind == ColumnKind.Boolean ? "Boolean" : "String"),
            ColumnKind.Date or ColumnKind.Timestamp =>
                $"SELECT json_build_object('attribute', {attribute}::text, 'type', 'Timestamp', 'min', min({reference}), 'max', max({reference}))::text " +
                $"FROM {sql.From} WHERE {sql.Where}",
            ColumnKind.Geometry => Extent(sql, reference),
            _ => throw new WidgetError(WidgetError.InvalidParameters,
                $"Column '{column.Name}' is of type {column.DatabaseType}: statistics are for numbers, text, booleans, timestamps and geometries."),
        };
    }

    private static string Numbers(WidgetSql sql, string reference, string attribute)
    {
        var quantiles = string.Join(", ", Enumerable.Range(MinQuantiles, MaxQuantiles - MinQuantiles + 1).Select(n =>
            $"'{n}', to_json(percentile_cont(ARRAY[{string.Join(", ", Enumerable.Range(0, n + 1).Select(k => ((double)k / n).ToString("R", CultureInfo.InvariantCulture)))}]) " +
            $"WITHIN GROUP (ORDER BY {reference}::float8))"));
        return $"""
                SELECT json_build_object('attribute', {attribute}::text, 'type', 'Number', 'min', min({reference}), 'max', max({reference}),
                                         'avg', avg({reference}), 'sum', sum({reference}),
                                         'quantiles', CASE WHEN count({reference}) = 0 THEN json_build_object() ELSE json_build_object({quantiles}) END)::text
                FROM {sql.From} WHERE {sql.Where}
                """;
    }

    private static string Categories(WidgetSql sql, string reference, string attribute, string type) =>
        $"""
         SELECT json_build_object('attribute', {attribute}::text, 'type', '{type}',
                                  'categories', coalesce(json_agg(json_build_object('category', category, 'frequency', frequency)
                                                                  ORDER BY frequency DESC, category), '[]'::json))::text
         FROM (SELECT {reference} AS category, count(*) AS frequency FROM {sql.From} WHERE {sql.Where} AND {reference} IS NOT NULL
               GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MaxCategories}) AS counted
         """;

    private static string Extent(WidgetSql sql, string reference)
    {
        var inDegrees = WidgetSql.InDegrees(reference);
        return $"""
                SELECT json_build_object('extent', CASE WHEN extent IS NULL THEN NULL ELSE
                         json_build_object('xmin', ST_XMin(extent), 'ymin', ST_YMin(extent), 'xmax', ST_XMax(extent), 'ymax', ST_YMax(extent)) END)::text
                FROM (SELECT ST_Extent({inDegrees}) AS extent FROM {sql.From} WHERE {sql.Where}) AS bounds
                """;
    }
}
