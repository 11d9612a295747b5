using System.Text;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Tiles;
using NpgsqlTypes;

namespace CartoSelfHosted.MapsApi.Widgets;

/// <summary>
/// CARTO's <c>filters</c> (<c>{"column": {"in"|"between"|"closed_open"|"time"|"stringSearch": {"values": …}}}</c>: several
/// types on one column ANDed, columns combined by <c>filtersLogicalOperator</c>) and <c>spatialFilters</c> (a GeoJSON
/// Polygon or MultiPolygon in degrees per geometry column; for a column of quadbin cells, <c>spatialDataType=quadbin</c>,
/// the polygon with <c>spatialFiltersMode</c>, or a selection of cells), as SQL conditions with every value bound. A NULL
/// value fails its filter, as in CARTO.
/// </summary>
public static class WidgetFilters
{
    public static void Apply(WidgetSql sql, JsonElement? filters, string? logicalOperator, JsonElement? spatialFilters,
        string? spatialDataType = null, string? spatialFiltersMode = null)
    {
        var combine = (logicalOperator ?? "and").ToLowerInvariant() switch
        {
            "and" => " AND ",
            "or" => " OR ",
            var other => throw new WidgetError(WidgetError.InvalidFilters, $"filtersLogicalOperator is 'and' or 'or'; '{other}' is not one."),
        };
        if (filters is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } given)
        {
            if (given.ValueKind != JsonValueKind.Object)
            {
                throw new WidgetError(WidgetError.InvalidFilters, "filters is a JSON object of columns.");
            }
            var columns = given.EnumerateObject().Select(column => ColumnCondition(sql, column.Name, column.Value)).ToList();
            if (columns.Count > 0)
            {
                sql.Conditions.Add(string.Join(combine, columns.Select(condition => $"({condition})")));
            }
        }
        if (spatialFilters is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } spatial)
        {
            if (spatial.ValueKind != JsonValueKind.Object)
            {
                throw new WidgetError(WidgetError.InvalidFilters, "spatialFilters is a JSON object: a geometry column and its GeoJSON polygon.");
            }
            foreach (var column in spatial.EnumerateObject())
            {
                sql.Conditions.Add(spatialDataType switch
                {
                    null or "" or "geo" => SpatialCondition(sql, column.Name, column.Value),
                    "quadbin" => QuadbinCondition(sql, column.Name, column.Value, spatialFiltersMode),
                    var other => throw new WidgetError(WidgetError.InvalidFilters,
                        $"spatialDataType is 'geo' (a geometry column) or 'quadbin' (a column of quadbin cells); '{other}' is not one here."),
                });
            }
        }
    }

    private static string ColumnCondition(WidgetSql sql, string name, JsonElement types)
    {
        var (column, reference) = sql.ColumnOf(name);
        if (types.ValueKind != JsonValueKind.Object)
        {
            throw new WidgetError(WidgetError.InvalidFilters, $"The filter of '{name}' is an object of filter types.");
        }
        var conditions = types.EnumerateObject().Select(type =>
        {
            var values = type.Value.ValueKind == JsonValueKind.Object && type.Value.TryGetProperty("values", out var found) &&
                found.ValueKind == JsonValueKind.Array
                ? found
                : throw new WidgetError(WidgetError.InvalidFilters, $"The '{type.Name}' filter of '{name}' has no values array.");
            return type.Name switch
            {
                "in" => In(sql, column, reference, values),
                "between" => Ranges(sql, reference, values, "<=", timestamp: false),
                "closed_open" => Ranges(sql, reference, values, "<", timestamp: false),
                "time" => Ranges(sql, reference, values, "<", timestamp: true),
                "stringSearch" => StringSearch(sql, reference, values, type.Value.TryGetProperty("params", out var options) ? options : default),
                var other => throw new WidgetError(WidgetError.InvalidFilters,
                    $"'{other}' is not a filter type: in, between, closed_open, time and stringSearch are."),
            };
        }).ToList();
        return conditions.Count == 0 ? "true" : string.Join(" AND ", conditions.Select(condition => $"({condition})"));
    }

    private static string In(WidgetSql sql, QueryColumn column, string reference, JsonElement values)
    {
        var items = values.EnumerateArray().ToList();
        if (items.Count == 0)
        {
            return "false";
        }
        if (items.All(item => item.ValueKind == JsonValueKind.Number) && column.Kind is ColumnKind.Integer or ColumnKind.BigInteger or ColumnKind.Double)
        {
            return $"{reference} = ANY ({sql.Bind(items.Select(item => item.GetDouble()).ToArray())})";
        }
        if (items.All(item => item.ValueKind is JsonValueKind.True or JsonValueKind.False) && column.Kind == ColumnKind.Boolean)
        {
            return $"{reference} = ANY ({sql.Bind(items.Select(item => item.GetBoolean()).ToArray())})";
        }
        // Otherwise compared as text, as the values were written (a category of a string column, a number as a string).
        return $"{reference}::text = ANY ({sql.Bind(items.Select(item => item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText()).ToArray())})";
    }

    /// <summary>Any of the [from, to] ranges; a null bound is open. <c>time</c> bounds are epoch milliseconds.</summary>
    private static string Ranges(WidgetSql sql, string reference, JsonElement values, string upperOperator, bool timestamp)
    {
        var ranges = values.EnumerateArray().Select(range =>
        {
            if (range.ValueKind != JsonValueKind.Array || range.GetArrayLength() != 2)
            {
                throw new WidgetError(WidgetError.InvalidFilters, "A range filter's values are [from, to] pairs.");
            }
            var bounds = new List<string>();
            if (Bound(range[0]) is { } from)
            {
                bounds.Add($"{reference} >= {Value(from)}");
            }
            if (Bound(range[1]) is { } to)
            {
                bounds.Add($"{reference} {upperOperator} {Value(to)}");
            }
            return bounds.Count == 0 ? $"{reference} IS NOT NULL" : string.Join(" AND ", bounds);
        }).ToList();
        return ranges.Count == 0 ? "false" : string.Join(" OR ", ranges.Select(range => $"({range})"));

        string Value(double bound) => timestamp ? $"to_timestamp({sql.Bind(bound / 1000)})" : sql.Bind(bound);

        static double? Bound(JsonElement bound) => bound.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.Number => bound.GetDouble(),
            _ => throw new WidgetError(WidgetError.InvalidFilters, "A range's bounds are numbers or null."),
        };
    }

    /// <summary>
    /// Text containing any of the values: case-insensitive unless <c>caseSensitive</c>, anchored by <c>mustStart</c> and
    /// <c>mustEnd</c>, or regular expressions with <c>useRegExp</c>. Diacritics are compared as written.
    /// </summary>
    private static string StringSearch(WidgetSql sql, string reference, JsonElement values, JsonElement options)
    {
        bool Option(string name) => options.ValueKind == JsonValueKind.Object && options.TryGetProperty(name, out var value) &&
            value.ValueKind == JsonValueKind.True;
        var caseSensitive = Option("caseSensitive");
        var regex = Option("useRegExp");
        var patterns = values.EnumerateArray().Select(value => value.ValueKind == JsonValueKind.String ? value.GetString()!
            : throw new WidgetError(WidgetError.InvalidFilters, "stringSearch values are strings.")).ToList();
        if (patterns.Count == 0)
        {
            return "false";
        }
        if (regex)
        {
            var anchored = patterns.Select(pattern => (Option("mustStart") ? "^" : "") + "(" + pattern + ")" + (Option("mustEnd") ? "$" : ""));
            return $"{reference}::text {(caseSensitive ? "~" : "~*")} ANY ({sql.Bind(anchored.ToArray())})";
        }
        var likes = patterns.Select(pattern => (Option("mustStart") ? "" : "%") + EscapeLike(pattern) + (Option("mustEnd") ? "" : "%"));
        return $"{reference}::text {(caseSensitive ? "LIKE" : "ILIKE")} ANY ({sql.Bind(likes.ToArray())})";
    }

    private static string EscapeLike(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '%' or '_' or '\\')
            {
                escaped.Append('\\');
            }
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    private static bool IsPolygon(JsonElement rings) =>
        rings.ValueKind == JsonValueKind.Array && rings.GetArrayLength() > 0 && rings.EnumerateArray().All(ring =>
            ring.ValueKind == JsonValueKind.Array && ring.GetArrayLength() >= 4 && ring.EnumerateArray().All(position =>
                position.ValueKind == JsonValueKind.Array && position.GetArrayLength() is 2 or 3 &&
                position.EnumerateArray().All(number => number.ValueKind == JsonValueKind.Number)));

    private static string SpatialCondition(WidgetSql sql, string name, JsonElement geometry)
    {
        var (column, reference) = sql.ColumnOf(name);
        if (column.Kind != ColumnKind.Geometry)
        {
            throw new WidgetError(WidgetError.InvalidFilters, $"spatialFilters names '{name}', which is not a geometry column.");
        }
        // The polygon is in degrees; the column keeps its own SRID (a geography is read as geometry).
        return $"ST_Intersects({WidgetSql.InDegrees(reference)}, {PolygonInDegrees(sql, geometry)})";
    }

    /// <summary>
    /// A spatial filter on a column of quadbin cells: a selection (<c>{"indexes": [cells in hexadecimal], "type":
    /// "quadbin"}</c>) keeps those cells; a polygon keeps the cells whose centre it covers (<c>center</c>), that it touches
    /// (<c>intersects</c>, the default) or that it holds whole (<c>contains</c>), as CARTO's polyfill modes, each cell's
    /// square taken in Web Mercator as its tile is.
    /// </summary>
    private static string QuadbinCondition(WidgetSql sql, string name, JsonElement filter, string? mode)
    {
        var (column, reference) = sql.ColumnOf(name);
        if (column.Kind != ColumnKind.BigInteger)
        {
            throw new WidgetError(WidgetError.InvalidFilters, $"spatialFilters names '{name}', which is not a column of quadbin cells (bigint).");
        }
        if (filter.ValueKind == JsonValueKind.Object && filter.TryGetProperty("indexes", out var indexes))
        {
            var cells = indexes.ValueKind == JsonValueKind.Array
                ? indexes.EnumerateArray().Select(index => index.ValueKind == JsonValueKind.String && Quadbin.TryParseHex(index.GetString()!, out var cell)
                    ? cell
                    : throw new WidgetError(WidgetError.InvalidFilters, $"indexes holds quadbin cells in hexadecimal; {index.GetRawText()} is not one.")).ToArray()
                : throw new WidgetError(WidgetError.InvalidFilters, "indexes is an array of quadbin cells in hexadecimal.");
            return $"{reference} = ANY ({sql.Bind(cells)})";
        }
        var polygon = $"ST_Transform(ST_ClipByBox2D({PolygonInDegrees(sql, filter)}, ST_MakeEnvelope(-180, -85.0511287798, 180, 85.0511287798, 4326)), 3857)";
        var cellSquare = Quadbin.EnvelopeSql(reference);
        return (mode ?? "intersects") switch
        {
            "center" => $"ST_Intersects(ST_Centroid({cellSquare}), {polygon})",
            "intersects" => $"ST_Intersects({cellSquare}, {polygon})",
            "contains" => $"ST_Contains({polygon}, {cellSquare})",
            var other => throw new WidgetError(WidgetError.InvalidFilters,
                $"spatialFiltersMode is 'center', 'intersects' or 'contains'; '{other}' is not one."),
        };
    }

    /// <summary>A spatial filter's GeoJSON Polygon or MultiPolygon, checked, bound, as SQL in EPSG:4326.</summary>
    private static string PolygonInDegrees(WidgetSql sql, JsonElement geometry)
    {
        var type = geometry.ValueKind == JsonValueKind.Object && geometry.TryGetProperty("type", out var found) ? found.GetString() : null;
        var coordinates = geometry.ValueKind == JsonValueKind.Object && geometry.TryGetProperty("coordinates", out var given) ? given : default;
        var valid = type switch
        {
            "Polygon" => IsPolygon(coordinates),
            "MultiPolygon" => coordinates.ValueKind == JsonValueKind.Array && coordinates.EnumerateArray().All(IsPolygon),
            _ => false,
        };
        // Checked here: PostGIS reports a malformed GeoJSON as an internal error, which would read as the server's fault.
        if (!valid)
        {
            throw new WidgetError(WidgetError.InvalidFilters,
                "A spatial filter is a GeoJSON Polygon or MultiPolygon geometry: rings of at least four [longitude, latitude] positions.");
        }
        return $"ST_SetSRID(ST_GeomFromGeoJSON({sql.Bind(geometry.GetRawText(), NpgsqlDbType.Text)}), 4326)";
    }
}
