using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Maps;
using CartoSelfHosted.MapsApi.Sql;
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
        var api = app.MapGroup("/api/v3/maps/{connection}/" + Kinds);
        api.MapGet("", InstantiateByGet);
        api.MapPost("", InstantiateByPost);
        return app;
    }

    public static async Task<IResult> InstantiateByGet(string connection, string kind, string? name, string? q, string? queryParameters,
        string? columns, string? spatialDataColumn, string? spatialDataType, string? tileResolution, HttpContext httpContext,
        MapSourceResolver resolver, MapSourceStore store, MapService maps, MapCaching caching, CancellationToken cancellationToken)
    {
        JsonElement? parameters = null;
        if (!string.IsNullOrWhiteSpace(queryParameters))
        {
            try
            {
                parameters = JsonDocument.Parse(queryParameters).RootElement;
            }
            catch (JsonException)
            {
                return ProblemResults.BadRequest("Invalid queryParameters", "queryParameters is a JSON array of values, bound in order to $1, $2….");
            }
        }
        var request = new MapRequest(name, q, parameters, columns, spatialDataColumn, spatialDataType, tileResolution);
        return await InstantiateAsync(connection, kind, request, cacheable: true, httpContext, resolver, store, maps, caching, cancellationToken);
    }

    public static Task<IResult> InstantiateByPost(string connection, string kind, [FromBody] MapInstantiationBody body, HttpContext httpContext,
        MapSourceResolver resolver, MapSourceStore store, MapService maps, MapCaching caching, CancellationToken cancellationToken)
    {
        var request = new MapRequest(body.Name, body.Q, body.QueryParameters, Text(body.Columns), body.SpatialDataColumn, body.SpatialDataType,
            Text(body.TileResolution));
        return InstantiateAsync(connection, kind, request, cacheable: false, httpContext, resolver, store, maps, caching, cancellationToken);

        // The client sends these as strings; a person may send a number, or the columns as an array.
        static string? Text(JsonElement? value) => value?.ValueKind switch
        {
            JsonValueKind.String => value.Value.GetString(),
            JsonValueKind.Number => value.Value.GetRawText(),
            JsonValueKind.Array => string.Join(',', value.Value.EnumerateArray().Select(item => item.ToString())),
            _ => null,
        };
    }

    private static async Task<IResult> InstantiateAsync(string connection, string kind, MapRequest request, bool cacheable, HttpContext httpContext,
        MapSourceResolver resolver, MapSourceStore store, MapService maps, MapCaching caching, CancellationToken cancellationToken)
    {
        var (source, problem) = await resolver.ResolveAsync(kind, connection, request, httpContext.User, cancellationToken);
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
            stats = await maps.StatsAsync(source, cacheValue, cancellationToken);
        }
        catch (PostgresException ex) when (SqlProblems.FromPostgres(ex) is { } refusal)
        {
            return refusal;
        }

        var sourceUrl = MapTilesApi.SourceUrl(httpContext.Request, source);
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id = source.Id,
            nrows = stats.Count,
            size = stats.Size,
            schema = source.Columns.Select(column => new { name = column.Name, type = column.Type }),
            tilejson = new { url = new[] { $"{sourceUrl}/tilejson?cache={cacheValue}" } },
            geojson = new { url = new[] { $"{sourceUrl}/geojson?cache={cacheValue}" } },
        });
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
public sealed record MapInstantiationBody(string? Name, string? Q, JsonElement? QueryParameters, JsonElement? Columns, string? SpatialDataColumn,
    string? SpatialDataType, JsonElement? TileResolution);
