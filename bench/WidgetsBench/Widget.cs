using System.Text.Json;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.MapsApi.Widgets;
using Npgsql;

namespace CartoSelfHosted.WidgetsBench;

/// <summary>A widget model with its <c>params</c>, as <c>@carto/api-client</c>'s <c>widgetSource</c> sends them.</summary>
public sealed record Widget(string Model, string Parameters)
{
    /// <summary>The four, over the cities: a sum, a count per country, population bins, a count per day.</summary>
    public static readonly Widget[] All =
    [
        new("formula", """{"column": "population", "operation": "sum"}"""),
        new("category", """{"column": "country", "operation": "count", "operationColumn": "country"}"""),
        new("histogram", """{"column": "population", "operation": "count", "ticks": [1000, 5000, 10000, 50000, 100000, 500000, 1000000]}"""),
        new("timeseries", """{"column": "seen_at", "stepSize": "day", "operation": "count", "operationColumn": "seen_at"}"""),
    ];

    /// <summary>The POST body the client sends for a table source with no filter.</summary>
    public string Body(string table) => JsonSerializer.Serialize(new
    {
        type = "table",
        client = "widgets-bench",
        source = table,
        @params = JsonDocument.Parse(Parameters).RootElement,
        queryParameters = "",
        filters = new { },
        filtersLogicalOperator = "and",
        spatialDataType = "geo",
        spatialDataColumn = "geom",
    });

    /// <summary>
    /// The statement maps-api runs for this model over <paramref name="fromClause"/> with no filter (built by the same
    /// code), and the values it binds.
    /// </summary>
    public (string Sql, IReadOnlyList<NpgsqlParameter> Parameters) Statement(string fromClause, IReadOnlyList<QueryColumn> columns)
    {
        var sql = new WidgetSql(fromClause, columns, []);
        var statement = WidgetModels.Statement(Model, sql, JsonDocument.Parse(Parameters).RootElement);
        return (statement, sql.Parameters);
    }
}
