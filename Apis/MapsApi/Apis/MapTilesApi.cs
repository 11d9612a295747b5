using System.ComponentModel;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using CartoSelfHosted.MapsApi.Maps;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.Platform.Tiles;
using CartoSelfHosted.ServiceDefaults.Problems;
using CartoSelfHosted.ServiceDefaults.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.MapsApi.Apis;

/// <summary>
/// What an instantiated source serves, under <c>/api/v3/maps/{connection}/{table|query}/{id}</c>: its TileJSON 3.0.0
/// (with CARTO's tilestats), its tiles as Mapbox Vector Tiles (or GeoJSON with <c>formatTiles=geojson</c>; an empty
/// tile is 204) and, for small sources, all of it as GeoJSON. Only the organization that instantiated a source sees it.
/// </summary>
public static class MapTilesApi
{
    public const string MvtContentType = "application/vnd.mapbox-vector-tile";

    public static IEndpointRouteBuilder MapMapTilesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/maps/{connection}/{kind:regex(^(table|query)$)}/{id}").WithTags("Maps")
            .AcceptsApiAccessTokens(CartoApis.Maps);
        api.MapGet("/tilejson", TileJson)
            .WithSummary("A source's TileJSON")
            .WithDescription("TileJSON 3.0.0: the `tiles` URL template, `bounds`, `center`, `vector_layers` (fields, geometry type), " +
                "CARTO's `tilestats` (count; min, max and sum of numbers; the top categories of strings and booleans) and " +
                "`fraction_dropped_per_zoom`.")
            .Produces<JsonElement>(StatusCodes.Status200OK, "application/json")
            .WithSourceAnswers()
            .WithProblem(StatusCodes.Status400BadRequest, "PostgreSQL refused the source's query (`sql-error`) or it ran past its time limit.");
        api.MapGet("/geojson", GeoJson)
            .WithSummary("A small source as GeoJSON")
            .WithDescription("The whole source as one FeatureCollection, for small sources: a larger one is a 400 that points at its tiles.")
            .Produces<JsonElement>(StatusCodes.Status200OK, "application/geo+json")
            .WithSourceAnswers()
            .WithProblem(StatusCodes.Status400BadRequest, "The source has more features than GeoJSON is for (`MapsApi:MaxGeoJsonFeatures`, " +
                "50,000), or PostgreSQL refused its query.");
        api.MapGet("/{cell}", QuadbinTile).WithMetadata(new SampledTracing(100))
            .WithSummary("A tile of a quadbin source")
            .WithDescription("CARTO's spatial tile (`application/vnd.carto-spatial-tile`, protobuf): the cells inside the tile, at " +
                "`aggregationResLevel` below it, each with the source's `aggregationExp` over its rows. The tile is a quadbin cell in " +
                "hexadecimal, as TileJSON's `{i}`. An empty tile is a 204.")
            .Produces<Stream>(StatusCodes.Status200OK, QuadbinTileRenderer.ContentType)
            .Produces(StatusCodes.Status204NoContent)
            .WithSourceAnswers()
            .WithProblem(StatusCodes.Status400BadRequest, "Not a quadbin cell, a source that is not a quadbin source, or PostgreSQL refused " +
                "the source's query.");
        // Tiles come by the thousand a second, each costing about what its trace would: one in a hundred is traced.
        api.MapGet("/{z}/{x}/{y}", Tile).WithMetadata(new SampledTracing(100))
            .WithSummary("A tile of a source")
            .WithDescription("A Mapbox Vector Tile (layer `default`, extent 1024 × the source's `tileResolution`: 512 by default) or, with `formatTiles=geojson`, a GeoJSON " +
                "FeatureCollection. An empty tile is a 204.")
            .Produces<Stream>(StatusCodes.Status200OK, MvtContentType, "application/geo+json")
            .Produces(StatusCodes.Status204NoContent)
            .WithSourceAnswers()
            .WithProblem(StatusCodes.Status400BadRequest, $"Not a tile (z from 0 to {TilePyramid.MaxZoom}, x and y from 0 to 2^z - 1), " +
                "an unknown `formatTiles`, or PostgreSQL refused the source's query.");
        return app;
    }

    /// <summary>What every endpoint of an instantiated source answers besides its content.</summary>
    private static RouteHandlerBuilder WithSourceAnswers(this RouteHandlerBuilder endpoint) => endpoint
        .Produces(StatusCodes.Status304NotModified)
        .WithProblem(StatusCodes.Status404NotFound, "No source with this id of the organization on this connection: instantiate the map again.");

    /// <summary>The absolute URL of a source's endpoints, on the host (router) the client used.</summary>
    public static string SourceUrl(HttpRequest request, MapSource source) =>
        $"{MapCaching.PublicOrigin(request)}/api/v3/maps/{Uri.EscapeDataString(source.Connection)}/{source.Kind}/{source.Id}";

    public static async Task<IResult> TileJson([Description(ParameterDescriptions.Connection)] string connection,
        [Description(ParameterDescriptions.Kind)] string kind, [Description(ParameterDescriptions.SourceId)] string id,
        [Description(ParameterDescriptions.Cache)] string? cache, HttpContext httpContext,
        MapSourceStore store, DataConnections connections, MapService maps, MapCaching caching, CancellationToken cancellationToken)
    {
        var (source, dataConnection, refusal) = await FindAsync(connection, kind, id, httpContext.User, store, connections, cancellationToken);
        if (source is null || dataConnection is null)
        {
            return refusal!;
        }
        var cacheValue = await maps.CacheValueAsync(source, cancellationToken);
        SourceStats stats;
        PreparedTileTable? prepared;
        try
        {
            stats = await maps.StatsAsync(source, dataConnection, cacheValue, cancellationToken);
            prepared = await maps.PrepareAsync(source, cancellationToken);
        }
        catch (PostgresException ex) when (SqlProblems.FromPostgres(ex) is { } problem)
        {
            return problem;
        }
        var tileCache = CacheValue(cache) ?? cacheValue.ToString(CultureInfo.InvariantCulture);
        byte[] body = source.Quadbin is { } quadbin
            ? QuadbinTileJson(httpContext.Request, source, quadbin, stats, tileCache)
            : VectorTileJson(httpContext.Request, source, stats, prepared, tileCache);
        if (caching.Apply(httpContext, source, body))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        return TypedResults.Bytes(body, "application/json");
    }

    private static byte[] VectorTileJson(HttpRequest request, MapSource source, SourceStats stats, PreparedTileTable? prepared, string tileCache)
    {
        var geometryType = stats.GeometryTypes.Select(SourceStats.GeoJsonGeometryType).Distinct().ToList() is [var single] ? single : "Geometry";
        var tileJson = CommonTileJson(source, stats, "xyz", $"{SourceUrl(request, source)}/{{z}}/{{x}}/{{y}}?cache={tileCache}&formatTiles=mvt",
            TilePyramid.MaxZoom, geometryType);
        // No properties_tiles: deck.gl's VectorTileLayer fetches them whenever the field is there, even empty, and then
        // fails every tile. They belong to boundary sources only.
        tileJson["tileResolution"] = source.TileResolution;
        tileJson["vector_layers"] = new[]
        {
            new
            {
                id = TileRenderer.LayerName,
                minzoom = 0,
                maxzoom = TilePyramid.MaxZoom,
                fields = source.Attributes.ToDictionary(column => column.Name, column => SourceStats.TileStatsType(column.Type)),
                geometry_type = geometryType,
            },
        };
        tileJson["fraction_dropped_per_zoom"] = prepared?.FractionDroppedPerZoom ?? [];
        return JsonSerializer.SerializeToUtf8Bytes(tileJson);
    }

    /// <summary>
    /// A quadbin source's TileJSON, as deck.gl's spatial-index layers read it: tiles by cell (<c>{i}</c>), the
    /// <c>quadbin</c> scheme, and <c>maxresolution</c>, the deepest tile they ask for. Its tilestats are of the source's
    /// rows (its columns), not of the cells' aggregates, which depend on the zoom.
    /// </summary>
    private static byte[] QuadbinTileJson(HttpRequest request, MapSource source, QuadbinAggregation quadbin, SourceStats stats, string tileCache)
    {
        var tileJson = CommonTileJson(source, stats, "quadbin", $"{SourceUrl(request, source)}/{{i}}?cache={tileCache}",
            quadbin.MaxTileResolution, geometryType: null);
        tileJson["dataresolution"] = quadbin.DataResolution;
        tileJson["aggregationResLevel"] = quadbin.ResolutionLevel;
        return JsonSerializer.SerializeToUtf8Bytes(tileJson);
    }

    /// <summary>
    /// What every source's TileJSON 3.0.0 has: its tiles' URL template, zooms (as resolutions too, which the
    /// spatial-index layers read), bounds, centre, and CARTO's tilestats (with the geometry type, for a vector source).
    /// </summary>
    private static Dictionary<string, object?> CommonTileJson(MapSource source, SourceStats stats, string scheme, string tiles, int maxZoom,
        string? geometryType)
    {
        var bounds = stats.Bounds ?? [-180, -85.0511287798, 180, 85.0511287798];
        var layerStats = new Dictionary<string, object?>
        {
            ["layer"] = TileRenderer.LayerName,
            ["count"] = stats.Count,
            ["attributeCount"] = source.Attributes.Count(),
            ["attributes"] = stats.Attributes.Select(attribute => AttributeJson(attribute)),
        };
        if (geometryType is not null)
        {
            layerStats["geometry"] = geometryType;
        }
        return new Dictionary<string, object?>
        {
            ["tilejson"] = "3.0.0",
            ["name"] = source.Table is { } table ? $"{table.Schema}.{table.Table}" : source.Kind,
            ["description"] = "",
            ["version"] = "1.0.0",
            ["attribution"] = "",
            ["scheme"] = scheme,
            ["tiles"] = new[] { tiles },
            ["minzoom"] = 0,
            ["maxzoom"] = maxZoom,
            ["minresolution"] = 0,
            ["maxresolution"] = maxZoom,
            ["bounds"] = bounds,
            ["center"] = new[] { (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 0 },
            ["tilestats"] = new { layerCount = 1, layers = new[] { layerStats } },
        };
    }

    public static async Task<IResult> Tile([Description(ParameterDescriptions.Connection)] string connection,
        [Description(ParameterDescriptions.Kind)] string kind, [Description(ParameterDescriptions.SourceId)] string id,
        [Description("The zoom level.")] string z, [Description("The column, from the west.")] string x,
        [Description("The row, from the north.")] string y, [Description(ParameterDescriptions.Cache)] string? cache,
        [Description("`mvt` (the default) or `geojson`.")] string? formatTiles, HttpContext httpContext, MapSourceStore store, DataConnections connections, MapService maps, MapCaching caching, CancellationToken cancellationToken)
    {
        if (ParseTile(z, x, y) is not { } tile)
        {
            return ProblemResults.BadRequest("Invalid tile",
                $"A tile is z/x/y with z from 0 to {TilePyramid.MaxZoom} and x and y from 0 to 2^z - 1; '{z}/{x}/{y}' is not one.");
        }
        TileFormat format;
        switch (formatTiles?.ToLowerInvariant())
        {
            case null or "" or "mvt":
                format = TileFormat.Mvt;
                break;
            case "geojson":
                format = TileFormat.GeoJson;
                break;
            default:
                return ProblemResults.BadRequest("Unknown formatTiles", "formatTiles is mvt (Mapbox Vector Tile, the default) or geojson.");
        }
        var (source, dataConnection, refusal) = await FindAsync(connection, kind, id, httpContext.User, store, connections, cancellationToken);
        if (source is null || dataConnection is null)
        {
            return refusal!;
        }
        if (source.Quadbin is not null)
        {
            return ProblemResults.BadRequest("A quadbin source", "A quadbin source's tiles are its cells: /{cell}, as its TileJSON's {i}.");
        }
        byte[] bytes;
        try
        {
            bytes = await maps.TileAsync(source, dataConnection, CacheValue(cache) ?? "none", tile.Z, tile.X, tile.Y, format, cancellationToken);
        }
        catch (PostgresException ex) when (SqlProblems.FromPostgres(ex) is { } problem)
        {
            return problem;
        }
        if (caching.Apply(httpContext, source, bytes))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        if (bytes.Length == 0)
        {
            return TypedResults.NoContent();
        }
        return TypedResults.Bytes(bytes, format == TileFormat.Mvt ? MvtContentType : "application/geo+json");
    }

    public static async Task<IResult> QuadbinTile([Description(ParameterDescriptions.Connection)] string connection,
        [Description(ParameterDescriptions.Kind)] string kind, [Description(ParameterDescriptions.SourceId)] string id,
        [Description("The tile: a quadbin cell in hexadecimal (`480fffffffffffff` is the world).")] string cell,
        [Description(ParameterDescriptions.Cache)] string? cache, HttpContext httpContext, MapSourceStore store, DataConnections connections,
        MapService maps, MapCaching caching, CancellationToken cancellationToken)
    {
        if (!Quadbin.TryParseHex(cell, out var tile))
        {
            return ProblemResults.BadRequest("Invalid tile", $"A quadbin source's tile is a quadbin cell in hexadecimal; '{cell}' is not one.");
        }
        var (source, dataConnection, refusal) = await FindAsync(connection, kind, id, httpContext.User, store, connections, cancellationToken);
        if (source is null || dataConnection is null)
        {
            return refusal!;
        }
        if (source.Quadbin is null)
        {
            return ProblemResults.BadRequest("Not a quadbin source", "This source's tiles are vector tiles: /{z}/{x}/{y}, as its TileJSON says.");
        }
        byte[] bytes;
        try
        {
            bytes = await maps.QuadbinTileAsync(source, dataConnection, CacheValue(cache) ?? "none", tile, cancellationToken);
        }
        catch (PostgresException ex) when (SqlProblems.FromPostgres(ex) is { } problem)
        {
            return problem;
        }
        if (caching.Apply(httpContext, source, bytes))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        return bytes.Length == 0 ? TypedResults.NoContent() : TypedResults.Bytes(bytes, QuadbinTileRenderer.ContentType);
    }

    public static async Task<IResult> GeoJson([Description(ParameterDescriptions.Connection)] string connection,
        [Description(ParameterDescriptions.Kind)] string kind, [Description(ParameterDescriptions.SourceId)] string id,
        HttpContext httpContext, MapSourceStore store, DataConnections connections,
        TileRenderer renderer, MapCaching caching, IOptions<MapsApiOptions> options, CancellationToken cancellationToken)
    {
        var (source, dataConnection, refusal) = await FindAsync(connection, kind, id, httpContext.User, store, connections, cancellationToken);
        if (source is null || dataConnection is null)
        {
            return refusal!;
        }
        if (!source.HasGeometry)
        {
            return ProblemResults.BadRequest("No geometries", "A quadbin source of cells has no GeoJSON: use its tiles (TileJSON) instead.");
        }
        var maxFeatures = options.Value.MaxGeoJsonFeatures;
        byte[]? bytes;
        try
        {
            bytes = await renderer.SourceGeoJsonAsync(source, dataConnection, maxFeatures, cancellationToken);
        }
        catch (PostgresException ex) when (SqlProblems.FromPostgres(ex) is { } problem)
        {
            return problem;
        }
        if (bytes is null)
        {
            return ProblemResults.BadRequest("Too large for GeoJSON",
                $"The source has more than {maxFeatures} features; GeoJSON is for small sources: use its tiles (TileJSON) instead.");
        }
        if (caching.Apply(httpContext, source, bytes))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        return TypedResults.Bytes(bytes, "application/geo+json");
    }

    /// <summary>
    /// The organization's source and its connection, if the caller may use both; else the problem to answer. A source on a
    /// private connection is its owner's alone, whoever else of the organization knows its id.
    /// </summary>
    private static async Task<(MapSource? Source, DataConnection? Connection, IResult? Refusal)> FindAsync(string connection, string kind,
        string id, ClaimsPrincipal user, MapSourceStore store, DataConnections connections, CancellationToken cancellationToken)
    {
        if (await store.FindAsync(id, kind, user.GetOrganizationId(), cancellationToken) is not { } source || source.Connection != connection
            || await connections.FindAsync(ConnectionScope.Of(user), connection, cancellationToken) is not { } dataConnection)
        {
            return (null, null, UnknownSource(id));
        }
        return SourceAccess.Check(user, dataConnection, source) is { } refused ? (null, null, refused) : (source, dataConnection, null);
    }

    private static IResult UnknownSource(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, type: ProblemTypes.NotFound, title: "Unknown map source",
            detail: $"There is no map source '{id}' of this organization here: instantiate the map again.");

    private static (int Z, int X, int Y)? ParseTile(string z, string x, string y)
    {
        if (!int.TryParse(z, NumberStyles.None, CultureInfo.InvariantCulture, out var zoom) || zoom > TilePyramid.MaxZoom ||
            !int.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var column) ||
            !int.TryParse(y, NumberStyles.None, CultureInfo.InvariantCulture, out var row))
        {
            return null;
        }
        var size = 1L << zoom;
        return column < size && row < size ? (zoom, column, row) : null;
    }

    /// <summary>The <c>cache</c> value of a URL when it is one (a number); anything else is not used in cache keys.</summary>
    private static string? CacheValue(string? cache) =>
        long.TryParse(cache, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value.ToString(CultureInfo.InvariantCulture) : null;

    private static Dictionary<string, object?> AttributeJson(AttributeStats attribute)
    {
        var json = new Dictionary<string, object?> { ["attribute"] = attribute.Attribute, ["type"] = attribute.Type };
        if (attribute.Type == "Number")
        {
            json["min"] = attribute.Min;
            json["max"] = attribute.Max;
            json["sum"] = attribute.Sum;
        }
        else if (attribute.Categories is { } categories)
        {
            json["categories"] = categories.Select(category => new { category = category.Category, frequency = category.Frequency });
        }
        return json;
    }
}
