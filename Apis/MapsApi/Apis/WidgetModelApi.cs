using System.ComponentModel;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Widgets;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using CartoSelfHosted.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Mvc;

namespace CartoSelfHosted.MapsApi.Apis;

/// <summary>
/// CARTO's widget model API, what <c>widgetSource</c> of <c>@carto/api-client</c> calls: formula, category, histogram,
/// range, scatterplot, table, timeseries and aggregations over a table or a query source, with its filters and spatial
/// filters, and pick (the rows of features found in tiles, by their <c>_carto_feature_id</c>).
/// GET answers are cached like the SQL API's (per token, purged when the organization's data changes); POST (sent for
/// long requests) never.
/// </summary>
public static class WidgetModelApi
{
    internal const string SpatialDataType = "`geo` (the default: `spatialFilters` name a geometry column) or `quadbin` (they name a column " +
        "of quadbin cells, with a polygon or `{\"indexes\": [cells in hexadecimal], \"type\": \"quadbin\"}`).";

    internal const string SpatialFiltersMode = "For a `quadbin` spatial filter's polygon: the cells whose centre it covers (`center`), " +
        "that it touches (`intersects`, the default) or that it holds whole (`contains`).";

    internal const string SpatialDataColumn = "The source's geometry column (`geom` when absent), whose geometry makes each row's `_carto_feature_id`.";

    private const string Model = "formula, category, histogram, range, scatterplot, table, timeseries, aggregations or pick.";

    public static IEndpointRouteBuilder MapWidgetModelApi(this IEndpointRouteBuilder app)
    {
        // CARTO's clients mint tokens for maps with ["sql", "maps"]: either lets a token's widgets run.
        // Widgets come by the dozen with every move of a map, and tracing one costs a fair part of answering it (the spans of
        // the request and its statements, exported and taken in by the dashboard): one in ten is traced.
        var api = app.MapGroup("/api/v3/sql/{connection}/model/{model}").WithTags("Widgets").AcceptsApiAccessTokens(CartoApis.Maps, CartoApis.Sql)
            .WithMetadata(new SampledTracing(10));
        api.MapGet("", ModelByGet)
            .WithSummary("Compute a widget's model")
            .WithDescription("The model's rows over the source with its filters, as `@carto/api-client` parses them. " +
                "`params`, `queryParameters`, `filters` and `spatialFilters` are JSON. `params.featureIds` (tiles' `_carto_feature_id`, " +
                "at most 1,000, with `geometryType`) keeps only those features' rows; `pick` answers them: `{rows, metadata: {total}}`.")
            .WithModelAnswers();
        api.MapPost("", ModelByPost)
            .WithSummary("Compute a widget's model, sent in the body")
            .WithDescription("The same as the GET, for requests too long for a URL. Never cached.")
            .WithModelAnswers();
        return app;
    }

    private static RouteHandlerBuilder WithModelAnswers(this RouteHandlerBuilder endpoint) => endpoint
        .Produces<JsonElement>(StatusCodes.Status200OK, "application/json")
        .WithProblem(StatusCodes.Status400BadRequest, "An unknown model, source type or column (`Column not found`, with `column_name`), " +
            "`params` or filters that do not parse, an expression that is not an aggregate over the source's columns, or SQL " +
            "PostgreSQL refused.")
        .WithProblem(StatusCodes.Status403Forbidden, "The source reads what the organization may not, or the API access token is not granted it.")
        .WithProblem(StatusCodes.Status404NotFound, "An unknown connection or table.");

    public static Task<IResult> ModelByGet([Description(ParameterDescriptions.Connection)] string connection,
        [Description(Model)] string model, [Description("`table` or `query`.")] string? type,
        [Description("The table's name, or the query's SQL.")] string? source,
        [Description("The model's parameters, JSON.")] string? @params,
        [Description(ParameterDescriptions.QueryParameters)] string? queryParameters,
        [Description("CARTO's filters, JSON: `{column: {in|between|closed_open|time|stringSearch: {values}}}`.")] string? filters,
        [Description("`and` (the default) or `or`: how the columns' filters combine.")] string? filtersLogicalOperator,
        [Description("`{geometry column: GeoJSON Polygon or MultiPolygon}`, JSON.")] string? spatialFilters,
        [Description(SpatialDataColumn)] string? spatialDataColumn, [Description(SpatialDataType)] string? spatialDataType,
        [Description(SpatialFiltersMode)] string? spatialFiltersMode, HttpContext httpContext, WidgetService widgets,
        CancellationToken cancellationToken)
    {
        try
        {
            var modelParameters = Json(@params, "params") ?? default;
            var request = new WidgetRequest(type, source, Json(queryParameters, "queryParameters"),
                Json(filters, "filters"), filtersLogicalOperator, Json(spatialFilters, "spatialFilters"), spatialDataColumn, spatialDataType,
                spatialFiltersMode);
            return widgets.RunAsync(httpContext, connection, request, sql => WidgetModels.Statement(model, sql, modelParameters),
                cacheable: true, cancellationToken);
        }
        catch (WidgetError error)
        {
            return Task.FromResult(error.ToProblem());
        }
    }

    public static Task<IResult> ModelByPost([Description(ParameterDescriptions.Connection)] string connection,
        [Description(Model)] string model, [FromBody] WidgetModelBody body, HttpContext httpContext,
        WidgetService widgets, CancellationToken cancellationToken) =>
        widgets.RunAsync(httpContext, connection,
            new WidgetRequest(body.Type, body.Source,
                // The client sends an empty string when the source has no parameters.
                body.QueryParameters is { ValueKind: JsonValueKind.String } ? null : body.QueryParameters,
                body.Filters, body.FiltersLogicalOperator, body.SpatialFilters, body.SpatialDataColumn, body.SpatialDataType,
                body.SpatialFiltersMode),
            sql => WidgetModels.Statement(model, sql, body.Params ?? default), cacheable: false, cancellationToken);

    internal static JsonElement? Json(string? text, string name) =>
        QueryStringJson.TryParse(text, out var value) ? value : throw new WidgetError(WidgetError.InvalidParameters, $"{name} is not JSON.");
}

/// <summary>The POST body, as <c>@carto/api-client</c> sends it (other members, like <c>client</c>, are ignored).</summary>
public sealed record WidgetModelBody(
    [property: Description("`table` or `query`.")] string? Type,
    [property: Description("The table's name, or the query's SQL.")] string? Source,
    [property: Description("The model's parameters.")] JsonElement? Params = null,
    [property: Description(ParameterDescriptions.QueryParametersInBody)] JsonElement? QueryParameters = null,
    [property: Description("CARTO's filters.")] JsonElement? Filters = null,
    [property: Description("`and` (the default) or `or`.")] string? FiltersLogicalOperator = null,
    [property: Description("A geometry column and its GeoJSON polygon.")] JsonElement? SpatialFilters = null,
    [property: Description(WidgetModelApi.SpatialDataColumn)] string? SpatialDataColumn = null,
    [property: Description(WidgetModelApi.SpatialDataType)] string? SpatialDataType = null,
    [property: Description(WidgetModelApi.SpatialFiltersMode)] string? SpatialFiltersMode = null);
