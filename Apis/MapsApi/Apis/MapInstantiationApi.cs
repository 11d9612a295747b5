using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Maps;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Security;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.MapsApi.Apis;

/// <summary>
/// CARTO's map instantiation: <c>/api/v3/maps/{connection}/table</c> (with <c>name</c>) and <c>…/query</c> (with
/// <c>q</c> and <c>queryParameters</c>), by GET or, when the client's URL would be too long, by POST with the same
/// parameters as JSON. The answer names the source's TileJSON URL, whose <c>cache</c> value changes with its data.
/// </summary>
public static class MapInstantiationApi
{
    private const string Kinds = "{kind:regex(^(table|query)$)}";

    public static IEndpointRouteBuilder MapMapInstantiationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/maps/{connection}/" + Kinds).WithTags("Maps").AcceptsApiAccessTokens(CartoApis.Maps);
        api.MapGet("", InstantiateByGet)
            .WithSummary("Instantiate a map source")
            .WithDescription("Makes a table or a query a map source: `{id, nrows, size, schema, tilejson: {url: [U]}, geojson: {url: [G]}}`, " +
                "where U is its TileJSON and G its GeoJSON (none for a quadbin source of cells). Their `cache` value changes with the data the source reads. " +
                "Carries an `ETag`: a 304 to `If-None-Match`.")
            .WithInstantiationAnswers()
            .Produces(StatusCodes.Status304NotModified);
        api.MapPost("", InstantiateByPost)
            .WithSummary("Instantiate a map source, with its parameters in the body")
            .WithDescription("The same as the GET, for what would make too long a URL (what `@carto/api-client` sends). Never cached.")
            .WithInstantiationAnswers();
        return app;
    }

    /// <summary>What both ways of instantiating answer.</summary>
    private static RouteHandlerBuilder WithInstantiationAnswers(this RouteHandlerBuilder endpoint) => endpoint
        .Produces<JsonElement>(StatusCodes.Status200OK, "application/json")
        .WithProblem(StatusCodes.Status400BadRequest, "No `name` (a table) or `q` (a query); invalid `queryParameters`, `filters`, `tileResolution`, " +
            "`spatialDataType`, `aggregationExp` (none for a quadbin source), `aggregationResLevel` or `featureBbox`; a column in `columns` or `spatialDataColumn` the source does not have; or PostgreSQL refused the query " +
            "(`sql-error`) or it ran past its time limit (`query-timeout`).")
        .WithProblem(StatusCodes.Status403Forbidden, "The query writes (`read-only-query`), or reads what the organization may not (`forbidden`), " +
            "or the API access token is not granted the source.")
        .WithProblem(StatusCodes.Status404NotFound, "An unknown connection, or a table the organization cannot read (or that does not exist).");

    public static async Task<IResult> InstantiateByGet([Description(ParameterDescriptions.Connection)] string connection,
        [Description(ParameterDescriptions.Kind)] string kind,
        [Description(ParameterDescriptions.Name)] string? name,
        [Description(ParameterDescriptions.Query)] string? q,
        [Description(ParameterDescriptions.QueryParameters)] string? queryParameters,
        [Description(ParameterDescriptions.Columns)] string? columns,
        [Description(ParameterDescriptions.SpatialDataColumn)] string? spatialDataColumn,
        [Description(ParameterDescriptions.SpatialDataType)] string? spatialDataType,
        [Description(ParameterDescriptions.TileResolution)] string? tileResolution,
        [Description(ParameterDescriptions.Filters)] string? filters,
        [Description(ParameterDescriptions.AggregationExp)] string? aggregationExp,
        [Description(ParameterDescriptions.AggregationResLevel)] string? aggregationResLevel,
        [Description(ParameterDescriptions.FeatureBbox)] string? featureBbox, HttpContext httpContext,
        MapSourceResolver resolver, DataConnections connections, MapSourceStore store, MapService maps, MapCaching caching,
        CancellationToken cancellationToken)
    {
        if (!QueryStringJson.TryParse(queryParameters, out var parameters))
        {
            return ProblemResults.BadRequest("Invalid queryParameters", "queryParameters is a JSON array of values, bound in order to $1, $2….");
        }
        if (!QueryStringJson.TryParse(filters, out var filtersJson))
        {
            return ProblemResults.BadRequest("Invalid filters", "filters is CARTO's JSON object of columns and their filters.");
        }
        var request = new MapRequest(name, q, parameters, columns, spatialDataColumn, spatialDataType, tileResolution, filtersJson, aggregationExp,
            aggregationResLevel, featureBbox);
        return await InstantiateAsync(connection, kind, request, cacheable: true, httpContext, resolver, connections, store, maps, caching, cancellationToken);
    }

    public static Task<IResult> InstantiateByPost([Description(ParameterDescriptions.Connection)] string connection,
        [Description(ParameterDescriptions.Kind)] string kind, [FromBody] MapInstantiationBody body, HttpContext httpContext,
        MapSourceResolver resolver, DataConnections connections, MapSourceStore store, MapService maps, MapCaching caching,
        CancellationToken cancellationToken)
    {
        var request = new MapRequest(body.Name, body.Q, body.QueryParameters, Text(body.Columns), body.SpatialDataColumn, body.SpatialDataType,
            Text(body.TileResolution), body.Filters, body.AggregationExp, Text(body.AggregationResLevel), Text(body.FeatureBbox));
        return InstantiateAsync(connection, kind, request, cacheable: false, httpContext, resolver, connections, store, maps, caching, cancellationToken);

        // The client sends these as strings (featureBbox as true); a person may send a number, or the columns as an array.
        static string? Text(JsonElement? value) => value?.ValueKind switch
        {
            JsonValueKind.String => value.Value.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.Value.GetRawText(),
            JsonValueKind.Array => string.Join(',', value.Value.EnumerateArray().Select(item => item.ToString())),
            _ => null,
        };
    }

    private static async Task<IResult> InstantiateAsync(string connection, string kind, MapRequest request, bool cacheable, HttpContext httpContext,
        MapSourceResolver resolver, DataConnections connections, MapSourceStore store, MapService maps, MapCaching caching,
        CancellationToken cancellationToken)
    {
        if (await connections.FindAsync(ConnectionScope.Of(httpContext.User), connection, cancellationToken) is not { } dataConnection)
        {
            return ConnectionProblems.Unknown(connection);
        }
        var (source, problem) = await resolver.ResolveAsync(kind, dataConnection, request, httpContext.User, cancellationToken);
        if (source is null)
        {
            return problem!;
        }
        await store.SaveAsync(source, cancellationToken);
        long cacheValue;
        SourceStats stats;
        try
        {
            // A table's tiles come from its prepared copy, made now (once) so that no tile request waits for it.
            await maps.PrepareAsync(source, cancellationToken);
            cacheValue = await maps.CacheValueAsync(source, cancellationToken);
            // Reads every row of a query: this is where a slow or writing query meets its limits.
            stats = await maps.StatsAsync(source, dataConnection, cacheValue, cancellationToken);
        }
        catch (PostgresException ex) when (SqlProblems.FromPostgres(ex) is { } refusal)
        {
            return refusal;
        }

        var sourceUrl = MapTilesApi.SourceUrl(httpContext.Request, source);
        var answer = new Dictionary<string, object?>
        {
            ["id"] = source.Id,
            ["nrows"] = stats.Count,
            ["size"] = stats.Size,
            ["schema"] = source.Columns.Select(column => new { name = column.Name, type = column.Type }),
            ["tilejson"] = new { url = new[] { $"{sourceUrl}/tilejson?cache={cacheValue}" } },
        };
        // A source of quadbin cells has no geometries to give as GeoJSON.
        if (source.HasGeometry)
        {
            answer["geojson"] = new { url = new[] { $"{sourceUrl}/geojson?cache={cacheValue}" } };
        }
        var body = JsonSerializer.SerializeToUtf8Bytes(answer);
        if (!cacheable)
        {
            MapCaching.NoStore(httpContext);
        }
        else if (caching.Apply(httpContext, source, body, browserMayKeep: false))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        return TypedResults.Bytes(body, "application/json");
    }
}

/// <summary>The POST body, as <c>@carto/api-client</c> sends it (other members, like <c>client</c> and <c>v</c>, are ignored).</summary>
public sealed record MapInstantiationBody(
    [property: Description(ParameterDescriptions.Name)] string? Name = null,
    [property: Description(ParameterDescriptions.Query)] string? Q = null,
    [property: Description(ParameterDescriptions.QueryParametersInBody)] JsonElement? QueryParameters = null,
    [property: Description(ParameterDescriptions.Columns + " Or an array of them.")] JsonElement? Columns = null,
    [property: Description(ParameterDescriptions.SpatialDataColumn)] string? SpatialDataColumn = null,
    [property: Description(ParameterDescriptions.SpatialDataType)] string? SpatialDataType = null,
    [property: Description(ParameterDescriptions.TileResolution)] JsonElement? TileResolution = null,
    [property: Description(ParameterDescriptions.Filters)] JsonElement? Filters = null,
    [property: Description(ParameterDescriptions.AggregationExp)] string? AggregationExp = null,
    [property: Description(ParameterDescriptions.AggregationResLevel)] JsonElement? AggregationResLevel = null,
    [property: Description(ParameterDescriptions.FeatureBbox)] JsonElement? FeatureBbox = null);
