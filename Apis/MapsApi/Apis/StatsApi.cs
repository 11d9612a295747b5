using System.ComponentModel;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Widgets;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Mvc;

namespace CartoSelfHosted.MapsApi.Apis;

/// <summary>
/// CARTO's Stats API: one column's statistics over a table or a query, with the source's filters — what fetchMap asks
/// for every styled attribute, and <c>widgetSource.getExtent</c> for the geometry column. GET answers are cached like
/// the SQL API's; POST never.
/// </summary>
public static class StatsApi
{
    private const string Column = "The column: a number, text, boolean, timestamp or geometry column of the source.";
    private const string Filters = "CARTO's filters, JSON, as for widgets.";

    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/stats/{connection}").WithTags("Stats").AcceptsApiAccessTokens(CartoApis.Maps, CartoApis.Sql);
        api.MapGet("/{table}/{column}", TableStats)
            .WithSummary("A table column's statistics")
            .WithDescription("Numbers: min, max, avg, sum and `quantiles[n]` (n + 1 breaks, n = 3…20); text and booleans: categories, " +
                "most frequent first; timestamps: min and max; a geometry column: its `extent` in degrees. Only the rows `filters` keep.")
            .WithStatsAnswers();
        api.MapPost("/{table}/{column}", TableStatsByPost)
            .WithSummary("A table column's statistics, filters in the body")
            .WithDescription("The same as the GET, for filters too long for a URL. Never cached.")
            .WithStatsAnswers();
        api.MapGet("/{column}", QueryStats)
            .WithSummary("A query column's statistics")
            .WithDescription("The same over the rows of `q`, with `queryParameters`.")
            .WithStatsAnswers();
        api.MapPost("/{column}", QueryStatsByPost)
            .WithSummary("A query column's statistics, the query in the body")
            .WithDescription("The same as the GET, for SQL too long for a URL. Never cached.")
            .WithStatsAnswers();
        return app;
    }

    private static RouteHandlerBuilder WithStatsAnswers(this RouteHandlerBuilder endpoint) => endpoint
        .Produces<JsonElement>(StatusCodes.Status200OK, "application/json")
        .WithProblem(StatusCodes.Status400BadRequest, "A column the source does not have (`Column not found`), of a type without " +
            "statistics, filters that do not parse, or SQL PostgreSQL refused.")
        .WithProblem(StatusCodes.Status403Forbidden, "The source reads what the organization may not, or the API access token is not granted it.")
        .WithProblem(StatusCodes.Status404NotFound, "An unknown connection or table.");

    public static Task<IResult> TableStats([Description(ParameterDescriptions.Connection)] string connection,
        [Description(ParameterDescriptions.Name)] string table, [Description(Column)] string column,
        [Description(Filters)] string? filters, HttpContext httpContext, WidgetService widgets,
        CancellationToken cancellationToken) =>
        RunAsync(() => new WidgetRequest("table", table, null, WidgetModelApi.Json(filters, "filters"), null, null), column, cacheable: true,
            connection, httpContext, widgets, cancellationToken);

    public static Task<IResult> TableStatsByPost([Description(ParameterDescriptions.Connection)] string connection,
        [Description(ParameterDescriptions.Name)] string table, [Description(Column)] string column, [FromBody] StatsBody body,
        HttpContext httpContext, WidgetService widgets, CancellationToken cancellationToken) =>
        RunAsync(() => new WidgetRequest("table", table, null, body.Filters, null, null), column, cacheable: false,
            connection, httpContext, widgets, cancellationToken);

    public static Task<IResult> QueryStats([Description(ParameterDescriptions.Connection)] string connection,
        [Description(Column)] string column, [Description(ParameterDescriptions.Query)] string? q,
        [Description(ParameterDescriptions.QueryParameters)] string? queryParameters, [Description(Filters)] string? filters,
        HttpContext httpContext, WidgetService widgets, CancellationToken cancellationToken) =>
        RunAsync(() => new WidgetRequest("query", q, WidgetModelApi.Json(queryParameters, "queryParameters"), WidgetModelApi.Json(filters, "filters"),
            null, null), column, cacheable: true, connection, httpContext, widgets, cancellationToken);

    public static Task<IResult> QueryStatsByPost([Description(ParameterDescriptions.Connection)] string connection,
        [Description(Column)] string column, [FromBody] StatsBody body, HttpContext httpContext, WidgetService widgets,
        CancellationToken cancellationToken) =>
        RunAsync(() => new WidgetRequest("query", body.Q,
                body.QueryParameters is { ValueKind: JsonValueKind.String } ? null : body.QueryParameters, body.Filters, null, null),
            column, cacheable: false, connection, httpContext, widgets, cancellationToken);

    private static Task<IResult> RunAsync(Func<WidgetRequest> request, string column, bool cacheable, string connection,
        HttpContext httpContext, WidgetService widgets, CancellationToken cancellationToken)
    {
        try
        {
            return widgets.RunAsync(httpContext, connection, request(), sql => ColumnStats.Statement(sql, column), cacheable,
                cancellationToken);
        }
        catch (WidgetError error)
        {
            return Task.FromResult(error.ToProblem());
        }
    }
}

/// <summary>The POST body of the Stats API (other members, like <c>client</c>, are ignored).</summary>
public sealed record StatsBody(
    [property: Description(ParameterDescriptions.Query + " For the query form.")] string? Q = null,
    [property: Description(ParameterDescriptions.QueryParametersInBody)] JsonElement? QueryParameters = null,
    [property: Description("CARTO's filters.")] JsonElement? Filters = null);
