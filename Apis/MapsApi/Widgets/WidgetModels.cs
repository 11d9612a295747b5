using System.Text.Json;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Tiles;

namespace CartoSelfHosted.MapsApi.Widgets;

/// <summary>
/// CARTO's widget models (<c>/v3/sql/{connection}/model/{model}</c>), each one statement that answers the JSON
/// <c>@carto/api-client</c> parses (<c>{"rows": […], "metadata": {…}}</c>), built by PostgreSQL itself so that every value
/// keeps its type. Columns and expressions come through <see cref="WidgetSql"/>: quoted, parsed, never pasted.
/// </summary>
public static class WidgetModels
{
    /// <summary>As CARTO's maps-api: the client asks for 500 and keeps in sync with it.</summary>
    public const int ScatterplotLimit = 500;

    /// <summary>The most rows a page of <c>table</c> or <c>pick</c> holds.</summary>
    public const int TableLimit = 1000;

    /// <summary>The most feature ids a request names, as CARTO's client sends at most.</summary>
    public const int MaxFeatureIds = 1000;

    public static readonly string[] Names = ["formula", "category", "histogram", "range", "scatterplot", "table", "timeseries", "aggregations", "pick"];

    public static string Statement(string model, WidgetSql sql, JsonElement parameters)
    {
        if (model != "pick")
        {
            SelectFeatures(sql, parameters);
        }
        return Model(model, sql, parameters);
    }

    private static string Model(string model, WidgetSql sql, JsonElement parameters) => model switch
    {
        "formula" => Formula(sql, parameters),
        "category" => Category(sql, parameters),
        "histogram" => Histogram(sql, parameters),
        "range" => Range(sql, parameters),
        "scatterplot" => Scatterplot(sql, parameters),
        "table" => Table(sql, parameters),
        "timeseries" => TimeSeries(sql, parameters),
        "aggregations" => Aggregations(sql, parameters),
        "pick" => Pick(sql, parameters),
        _ => throw new WidgetError(WidgetError.InvalidParameters, $"'{model}' is not a widget model: {string.Join(", ", Names)} are."),
    };

    /// <summary>
    /// CARTO's selection of features for every model but <c>pick</c>: with <c>featureIds</c> (ids of tiles' features,
    /// <see cref="TileFeatureProperties.FeatureId"/>) and their <c>geometryType</c>, the model reads only those features'
    /// rows. An empty list is no selection (the client sends none then).
    /// </summary>
    private static void SelectFeatures(WidgetSql sql, JsonElement parameters)
    {
        if (FeatureIds(parameters) is not { Count: > 0 } ids)
        {
            return;
        }
        CheckTopology(parameters, "geometryType");
        sql.Conditions.Add($"{sql.FeatureId} = ANY ({sql.Bind(ids.ToArray())})");
    }

    /// <summary>
    /// The rows of the features a client found in tiles, by <c>featureIds</c> (their <see cref="TileFeatureProperties.FeatureId"/>),
    /// in the order of the ids — rows of one geometry share an id, so there may be more rows than ids — with
    /// <c>columns</c> (<c>_carto_feature_id</c> among them if asked, to match rows to ids), a page of them (<c>limit</c>,
    /// 1,000 by default, and <c>offset</c>) and their <c>metadata.total</c>. Keys are the columns' names as they are.
    /// CARTO asks for <c>z</c> and <c>tileResolution</c>, it seems to find ids of points snapped to a tile's grid again;
    /// ours are of the whole geometry, the same at every zoom and grid, so <c>dataType</c>, <c>z</c> and
    /// <c>tileResolution</c> are checked and change nothing.
    /// </summary>
    private static string Pick(WidgetSql sql, JsonElement parameters)
    {
        var ids = FeatureIds(parameters) ?? throw new WidgetError(WidgetError.InvalidParameters,
            $"params.featureIds is the array of the features' ids ({TileFeatureProperties.FeatureId}), at most {MaxFeatureIds}.");
        CheckTopology(parameters, "dataType");
        if (WidgetSql.Number(parameters, "z") < 0 || WidgetSql.Number(parameters, "tileResolution") <= 0)
        {
            throw new WidgetError(WidgetError.InvalidParameters, "params.z is 0 or more, and params.tileResolution more than 0.");
        }
        var names = WidgetSql.Texts(parameters, "columns") is { Count: > 0 } given
            ? given.Distinct().ToList()
            : throw new WidgetError(WidgetError.InvalidParameters, "params.columns is the array of columns to return.");
        var featureId = sql.FeatureId;
        var columns = string.Join(", ", names.Select(name =>
            name == TileFeatureProperties.FeatureId ? $"{featureId} AS {TileFeatureProperties.FeatureId}" : sql.Column(name)));
        var limit = WidgetSql.Integer(parameters, "limit") ?? TableLimit;
        var offset = WidgetSql.Integer(parameters, "offset") ?? 0;
        if (limit is < 0 or > TableLimit || offset < 0)
        {
            throw new WidgetError(WidgetError.InvalidParameters, $"params.limit is 0 to {TableLimit}, and params.offset 0 or more.");
        }
        var wanted = sql.Bind(ids.ToArray());
        // One scan hashes the rows' geometries; the page and the total read what it kept. The place of its id orders a
        // row, and is taken out of it again.
        return $"""
                WITH picked AS MATERIALIZED (
                  SELECT {columns}, array_position({wanted}, {featureId}) AS _carto_pick_place
                  FROM {sql.From} WHERE {sql.Where} AND {featureId} = ANY ({wanted}))
                SELECT json_build_object(
                  'rows', coalesce((SELECT json_agg(to_jsonb(page) - '_carto_pick_place' ORDER BY page._carto_pick_place)
                                    FROM (SELECT * FROM picked ORDER BY _carto_pick_place LIMIT {limit} OFFSET {offset}) AS page), '[]'::json),
                  'metadata', json_build_object('total', (SELECT count(*) FROM picked)))::text
                """;
    }

    /// <summary><c>featureIds</c> of the request's <c>params</c>, at most <see cref="MaxFeatureIds"/>; null when absent.</summary>
    private static List<string>? FeatureIds(JsonElement parameters)
    {
        var ids = WidgetSql.Texts(parameters, "featureIds");
        return ids is { Count: > MaxFeatureIds }
            ? throw new WidgetError(WidgetError.InvalidParameters, $"params.featureIds names at most {MaxFeatureIds} features.")
            : ids;
    }

    /// <summary>The features' topology, as CARTO's clients name it (required: CARTO's ids depend on it).</summary>
    private static void CheckTopology(JsonElement parameters, string name)
    {
        if (WidgetSql.Text(parameters, name) is not ("points" or "lines" or "polygons"))
        {
            throw new WidgetError(WidgetError.InvalidParameters, $"params.{name} is points, lines or polygons.");
        }
    }

    private static string Formula(WidgetSql sql, JsonElement parameters)
    {
        var value = sql.Aggregate(WidgetSql.Text(parameters, "operation"), WidgetSql.Text(parameters, "column"),
            WidgetSql.Text(parameters, "operationExp"));
        return $"SELECT json_build_object('rows', json_build_array(json_build_object('value', {value})))::text FROM {sql.From} WHERE {sql.Where}";
    }

    /// <summary>
    /// The operation per value of <c>column</c>, in <c>orderBy</c>'s order; with <c>othersThreshold</c> N, the first N and,
    /// as <c>metadata.others</c>, the operation over all the rows of the other values.
    /// </summary>
    private static string Category(WidgetSql sql, JsonElement parameters)
    {
        var column = WidgetSql.Text(parameters, "column");
        var category = sql.Column(column);
        var value = sql.Aggregate(WidgetSql.Text(parameters, "operation"), WidgetSql.Text(parameters, "operationColumn") ?? column,
            WidgetSql.Text(parameters, "operationExp"));
        var order = (WidgetSql.Text(parameters, "orderBy") ?? "frequency_desc") switch
        {
            "frequency_desc" => "value DESC NULLS LAST, name",
            "frequency_asc" => "value ASC NULLS LAST, name",
            "alphabetical_asc" => "name ASC",
            "alphabetical_desc" => "name DESC",
            var other => throw new WidgetError(WidgetError.InvalidParameters,
                $"orderBy is frequency_desc, frequency_asc, alphabetical_asc or alphabetical_desc; '{other}' is not one."),
        };
        var threshold = WidgetSql.Integer(parameters, "othersThreshold");
        if (threshold < 0)
        {
            throw new WidgetError(WidgetError.InvalidParameters, "params.othersThreshold is 0 or more.");
        }
        var kept = threshold is { } n ? $"WHERE place <= {n}" : "";
        var others = threshold is null ? "" :
            $", 'metadata', json_build_object('others', (SELECT {value} FROM {sql.From} WHERE {sql.Where} " +
            $"AND NOT EXISTS (SELECT 1 FROM ranked WHERE place <= {threshold} AND ranked.name IS NOT DISTINCT FROM {category})))";
        return $"""
                WITH grouped AS (SELECT {category} AS name, {value} AS value FROM {sql.From} WHERE {sql.Where} GROUP BY 1),
                     ranked AS (SELECT name, value, row_number() OVER (ORDER BY {order}) AS place FROM grouped)
                SELECT json_build_object(
                  'rows', coalesce((SELECT json_agg(json_build_object('name', name, 'value', value) ORDER BY place) FROM ranked {kept}), '[]'::json){others})::text
                """;
    }

    /// <summary>Bins by <c>ticks</c>: bin 0 below the first, bin i from tick i-1 (included) to tick i; empty bins left out.</summary>
    private static string Histogram(WidgetSql sql, JsonElement parameters)
    {
        var column = WidgetSql.Text(parameters, "column");
        var reference = sql.Column(column);
        var ticks = parameters.TryGetProperty("ticks", out var given) && given.ValueKind == JsonValueKind.Array &&
            given.EnumerateArray().All(tick => tick.ValueKind == JsonValueKind.Number)
            ? given.EnumerateArray().Select(tick => tick.GetDouble()).ToArray()
            : throw new WidgetError(WidgetError.InvalidParameters, "params.ticks is an array of numbers.");
        if (ticks.Zip(ticks.Skip(1)).Any(pair => pair.First > pair.Second))
        {
            throw new WidgetError(WidgetError.InvalidParameters, "params.ticks are in ascending order.");
        }
        var value = sql.Aggregate(WidgetSql.Text(parameters, "operation"), column, null);
        return $"""
                SELECT json_build_object('rows', coalesce(json_agg(json_build_object('tick', tick, 'value', value) ORDER BY tick), '[]'::json))::text
                FROM (SELECT width_bucket({reference}::float8, {sql.Bind(ticks)}::float8[]) AS tick, {value} AS value
                      FROM {sql.From} WHERE {sql.Where} AND {reference} IS NOT NULL GROUP BY 1) AS bins
                """;
    }

    private static string Range(WidgetSql sql, JsonElement parameters)
    {
        var reference = sql.Column(WidgetSql.Text(parameters, "column"));
        return $"SELECT json_build_object('rows', json_build_array(json_build_object('min', min({reference}), 'max', max({reference}))))::text " +
            $"FROM {sql.From} WHERE {sql.Where}";
    }

    private static string Scatterplot(WidgetSql sql, JsonElement parameters)
    {
        var x = sql.Column(WidgetSql.Text(parameters, "xAxisColumn"));
        var y = sql.Column(WidgetSql.Text(parameters, "yAxisColumn"));
        return $"""
                SELECT json_build_object('rows', coalesce(json_agg(json_build_object('x', x, 'y', y)), '[]'::json))::text
                FROM (SELECT {x} AS x, {y} AS y FROM {sql.From} WHERE {sql.Where} AND {x} IS NOT NULL AND {y} IS NOT NULL
                      LIMIT {ScatterplotLimit}) AS points
                """;
    }

    /// <summary>A page of rows (<c>column</c>: the columns, <c>sortBy</c>, <c>sortDirection</c>, <c>limit</c>, <c>offset</c>) and the total.</summary>
    private static string Table(WidgetSql sql, JsonElement parameters)
    {
        var names = WidgetSql.Texts(parameters, "column") is { Count: > 0 } given
            ? given.Distinct().ToList()
            : throw new WidgetError(WidgetError.InvalidParameters, "params.column is the array of columns to return.");
        var columns = string.Join(", ", names.Select(name => sql.Column(name)));
        var direction = (WidgetSql.Text(parameters, "sortDirection") ?? "asc").ToLowerInvariant() switch
        {
            "asc" => "ASC",
            "desc" => "DESC",
            var other => throw new WidgetError(WidgetError.InvalidParameters, $"sortDirection is asc or desc; '{other}' is not one."),
        };
        var order = WidgetSql.Text(parameters, "sortBy") is { Length: > 0 } sort ? $"ORDER BY {sql.Column(sort)} {direction} NULLS LAST" : "";
        var limit = WidgetSql.Integer(parameters, "limit") ?? 10;
        var offset = WidgetSql.Integer(parameters, "offset") ?? 0;
        if (limit is < 0 or > TableLimit || offset < 0)
        {
            throw new WidgetError(WidgetError.InvalidParameters, $"params.limit is 0 to {TableLimit}, and params.offset 0 or more.");
        }
        // The row number orders the page in json_agg, and is taken out of each row again.
        return $"""
                SELECT json_build_object(
                  'rows', coalesce((SELECT json_agg(to_jsonb(page) - '_carto_row' ORDER BY page._carto_row)
                                    FROM (SELECT {columns}, row_number() OVER ({order}) AS _carto_row FROM {sql.From} WHERE {sql.Where}
                                          ORDER BY _carto_row LIMIT {limit} OFFSET {offset}) AS page), '[]'::json),
                  'metadata', json_build_object('total', (SELECT count(*) FROM {sql.From} WHERE {sql.Where})))::text
                """;
    }

    /// <summary>
    /// The operation per step of time (<c>stepSize</c> year…second, times <c>stepMultiplier</c>) of a date or timestamp
    /// <c>column</c>, taken as UTC; years and months in steps counted from year 0, shorter steps from 1970-01-01 (weeks from
    /// Monday 1970-01-05, as <c>date_trunc</c> starts them).
    /// Each row's <c>name</c> is its step's start, ISO 8601. With <c>splitByCategory</c> (a column), one series per value
    /// of it: the <c>splitByCategoryValues</c> given, else the <c>splitByCategoryLimit</c> (5) most frequent; each row then
    /// carries its <c>category</c>, and <c>metadata.categories</c> lists the series, most frequent first.
    /// </summary>
    /// <summary>How many series a split time series draws when the caller does not say (CARTO's widget shows five).</summary>
    private const int DefaultSeries = 5;

    /// <summary>How many series a split time series draws at most.</summary>
    private const int MaxSeries = 100;

    private static string TimeSeries(WidgetSql sql, JsonElement parameters)
    {
        var column = WidgetSql.Text(parameters, "column");
        var (described, reference) = sql.ColumnOf(column);
        if (described.Kind is not (ColumnKind.Date or ColumnKind.Timestamp))
        {
            throw new WidgetError(WidgetError.InvalidParameters, $"A time series needs a date or timestamp column; '{column}' is {described.DatabaseType}.");
        }
        var multiplier = WidgetSql.Integer(parameters, "stepMultiplier") ?? 1;
        if (multiplier is < 1 or > 1000)
        {
            throw new WidgetError(WidgetError.InvalidParameters, "params.stepMultiplier is 1 to 1000.");
        }
        // A timestamptz read in UTC whatever the session's time zone; dates and plain timestamps as they are.
        var time = described.DatabaseType.Contains("with time zone", StringComparison.Ordinal)
            ? $"({reference} AT TIME ZONE 'UTC')"
            : $"({reference})::timestamp";
        var stepSize = (WidgetSql.Text(parameters, "stepSize") ?? "").ToLowerInvariant();
        var step = stepSize switch
        {
            "year" => $"date_trunc('year', {time}) - (extract(year FROM {time})::int % {multiplier}) * interval '1 year'",
            "month" => $"date_trunc('month', {time}) - ((extract(year FROM {time})::int * 12 + extract(month FROM {time})::int - 1) % {multiplier}) * interval '1 month'",
            "week" => $"date_bin(interval '{multiplier} weeks', {time}, timestamp '1970-01-05')",
            "day" or "hour" or "minute" or "second" => $"date_bin(interval '{multiplier} {stepSize}s', {time}, timestamp '1970-01-01')",
            var other => throw new WidgetError(WidgetError.InvalidParameters,
                $"stepSize is year, month, week, day, hour, minute or second; '{other}' is not one."),
        };
        var value = sql.Aggregate(WidgetSql.Text(parameters, "operation"), WidgetSql.Text(parameters, "operationColumn") ?? column,
            WidgetSql.Text(parameters, "operationExp"));
        const string Name = "to_char(bucket, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
        if (WidgetSql.Text(parameters, "splitByCategory") is not { Length: > 0 } splitColumn)
        {
            return $"""
                    SELECT json_build_object('rows', coalesce(json_agg(json_build_object('name', {Name}, 'value', value) ORDER BY bucket), '[]'::json),
                                             'metadata', json_build_object())::text
                    FROM (SELECT {step} AS bucket, {value} AS value FROM {sql.From} WHERE {sql.Where} AND {reference} IS NOT NULL GROUP BY 1) AS steps
                    """;
        }
        var category = $"({sql.Column(splitColumn)})::text";
        var series = SeriesOf(sql, parameters, category);
        return $"""
                WITH series AS ({series})
                SELECT json_build_object(
                  'rows', coalesce(json_agg(json_build_object('name', {Name}, 'value', value, 'category', category) ORDER BY bucket, rank), '[]'::json),
                  'metadata', json_build_object('categories', (SELECT coalesce(json_agg(category ORDER BY rank), '[]'::json) FROM series)))::text
                FROM (SELECT {step} AS bucket, {category} AS category, {value} AS value FROM {sql.From}
                      WHERE {sql.Where} AND {reference} IS NOT NULL AND {category} IN (SELECT category FROM series) GROUP BY 1, 2) AS steps
                JOIN series USING (category)
                """;
    }

    /// <summary>
    /// The series of a split time series, as rows (category, rank): the values given in <c>splitByCategoryValues</c>, in
    /// their order, or the <c>splitByCategoryLimit</c> most frequent values of the rows the widget reads.
    /// </summary>
    private static string SeriesOf(WidgetSql sql, JsonElement parameters, string category)
    {
        if (parameters.TryGetProperty("splitByCategoryValues", out var given) && given.ValueKind == JsonValueKind.Array && given.GetArrayLength() > 0)
        {
            var values = given.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText()).ToArray();
            if (values.Length > MaxSeries)
            {
                throw new WidgetError(WidgetError.InvalidParameters, $"params.splitByCategoryValues names at most {MaxSeries} series.");
            }
            return $"SELECT category, rank FROM unnest({sql.Bind(values)}::text[]) WITH ORDINALITY AS given (category, rank)";
        }
        var limit = WidgetSql.Integer(parameters, "splitByCategoryLimit") ?? DefaultSeries;
        if (limit is < 1 or > MaxSeries)
        {
            throw new WidgetError(WidgetError.InvalidParameters, $"params.splitByCategoryLimit is 1 to {MaxSeries}.");
        }
        return $"""
                SELECT category, row_number() OVER (ORDER BY count(*) DESC, category) AS rank FROM
                  (SELECT {category} AS category FROM {sql.From} WHERE {sql.Where} AND {category} IS NOT NULL) AS categories
                GROUP BY category ORDER BY count(*) DESC, category LIMIT {limit}
                """;
    }

    /// <summary><c>aggregations</c>: <c>[{column, operation, alias}]</c>, or CARTO's string form <c>"sum(a) AS x, avg(b) AS y"</c>.</summary>
    private static string Aggregations(WidgetSql sql, JsonElement parameters)
    {
        IReadOnlyList<(string Sql, string Alias)> aggregates = parameters.TryGetProperty("aggregations", out var given) ? given.ValueKind switch
        {
            JsonValueKind.String => AggregateExpression.ParseList(given.GetString()!, sql.ColumnNames),
            JsonValueKind.Array => given.EnumerateArray().Select(item =>
            {
                var operation = WidgetSql.Text(item, "operation");
                if (operation == "custom")
                {
                    throw new WidgetError(WidgetError.InvalidParameters, "An aggregation's operation is count, avg, min, max or sum.");
                }
                var column = WidgetSql.Text(item, "column");
                return (sql.Aggregate(operation, column, null), WidgetSql.Text(item, "alias") ?? column ?? operation ?? "value");
            }).ToList(),
            _ => throw new WidgetError(WidgetError.InvalidParameters, "params.aggregations is an array or an expression string."),
        } : throw new WidgetError(WidgetError.InvalidParameters, "params.aggregations is missing.");
        if (aggregates.Count == 0)
        {
            throw new WidgetError(WidgetError.InvalidParameters, "params.aggregations names no aggregation.");
        }
        // The aliases are values (json_build_object's keys), bound like any other.
        var members = string.Join(", ", aggregates.Select(aggregate => $"{sql.Bind(aggregate.Alias)}::text, {aggregate.Sql}"));
        return $"SELECT json_build_object('rows', json_build_array(json_build_object({members})))::text FROM {sql.From} WHERE {sql.Where}";
    }
}
