using System.ComponentModel;
using System.Globalization;
using System.Security.Claims;
using CartoSelfHosted.LdsApi.Quotas;
using CartoSelfHosted.LdsApi.Routing;
using CartoSelfHosted.Platform.RoadNetwork;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Mvc;

namespace CartoSelfHosted.LdsApi.Apis;

/// <summary>
/// CARTO's LDS routing and isolines (v3), answered on the installation's own road network (OpenStreetMap, in pgRouting):
/// only inside the network's extract. Each answer credits its data (<c>attribution</c>, and the attribution header).
/// </summary>
public static class RoutingApi
{
    /// <summary>A point farther than this from the network is not on it: outside the extract, or in a park without paths.</summary>
    public const double MaxSnapMetres = 500;
    public const int MaxWaypoints = 10;
    public const int MaxRanges = 5;
    public const double MaxTimeRange = 3600;
    public const double MaxDistanceRange = 50_000;

    private const string OriginDescription = "The start, `lon,lat`.";
    private const string ModeDescription = "`car` (the default) or `walk`.";

    public static IEndpointRouteBuilder MapRoutingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/lds").WithTags("Routing").AcceptsApiAccessTokens(CartoApis.Lds)
            .AddEndpointFilter(async (context, next) =>
            {
                context.HttpContext.Response.Headers[GeocodingApi.AttributionHeader] = RoadNetworkSources.Attribution;
                return await next(context);
            });
        api.MapGet("/routing", Route)
            .WithSummary("Route between points")
            .WithDescription("The fastest route by road from `origin` through the `waypoints` to `destination`, as a GeoJSON Feature: a " +
                "LineString along the roads with its `distance` (metres) and `duration` (seconds). Points snap to the nearest point of " +
                $"the network; one farther than {MaxSnapMetres} m from it is a 422 problem. Only inside the installation's road network.")
            .Produces<RouteFeature>()
            .WithProblem(StatusCodes.Status400BadRequest, "No `origin` or `destination`, a point that is not `lon,lat` in range, more than " +
                $"{MaxWaypoints} waypoints, or a `mode` other than `car` and `walk`.")
            .WithProblem(StatusCodes.Status422UnprocessableEntity, "A point is not on the road network (outside its extract).")
            .WithRoadNetworkUnavailable().WithQuotaSpent();
        api.MapGet("/isolines", Isolines)
            .WithSummary("Isolines around a point")
            .WithDescription("The area reached from `origin` within each `range` (seconds, or metres with `range_type=distance`), as a " +
                "GeoJSON FeatureCollection of one polygon per range, smallest first, each inside the next.")
            .Produces<IsolineCollection>()
            .WithProblem(StatusCodes.Status400BadRequest, $"No `origin`, no `range`, more than {MaxRanges} ranges, a range not above 0 or " +
                $"above {MaxTimeRange} s or {MaxDistanceRange} m, a `range_type` other than `time` and `distance`, or a bad `mode`.")
            .WithProblem(StatusCodes.Status422UnprocessableEntity, "The origin is not on the road network (outside its extract).")
            .WithRoadNetworkUnavailable().WithQuotaSpent();
        // Older clients' path of the same answer.
        api.MapGet("/isolines/isoline", Isolines).AsOlderPathOf("GET /api/v3/lds/isolines")
            .Produces<IsolineCollection>()
            .WithProblem(StatusCodes.Status400BadRequest, "What `GET /api/v3/lds/isolines` refuses.")
            .WithProblem(StatusCodes.Status422UnprocessableEntity, "The origin is not on the road network (outside its extract).")
            .WithRoadNetworkUnavailable().WithQuotaSpent();
        return app;
    }

    private static RouteHandlerBuilder WithRoadNetworkUnavailable(this RouteHandlerBuilder endpoint) =>
        endpoint.WithProblem(StatusCodes.Status503ServiceUnavailable, "The road network is being loaded (the first start), or failed to load.");

    public static async Task<IResult> Route([Description(OriginDescription)] string? origin,
        [Description("The end, `lon,lat`.")] string? destination,
        [Description($"Points to pass on the way, in order, each `lat,lon` (as CARTO writes them), separated by `;` or `|`.")] string? waypoints,
        [Description(ModeDescription)] string? mode,
        RoadNetworkState network, RoadRouter router, ClaimsPrincipal user, LdsQuota quota, HttpResponse response,
        CancellationToken cancellationToken)
    {
        if (StartProblem(network, response, mode, origin, out var travelMode, out var start) is { } problem)
        {
            return problem;
        }
        if (ParsePoint(destination, latitudeFirst: false) is not { } end)
        {
            return PointProblem("destination", "lon,lat");
        }
        var via = new List<(double Lon, double Lat)>();
        foreach (var waypoint in (waypoints ?? "").Split([';', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (ParsePoint(waypoint, latitudeFirst: true) is not { } point)
            {
                return PointProblem("waypoints", "lat,lon");
            }
            via.Add(point);
        }
        if (via.Count > MaxWaypoints)
        {
            return ProblemResults.BadRequest("Invalid waypoints", $"waypoints are at most {MaxWaypoints}.");
        }
        List<(double Lon, double Lat)> stops = [start, .. via, end];
        return await quota.ChargedAsync(user, LdsServices.Routing, 1, response, async answerCancellation =>
        {
            var route = await router.RouteAsync(travelMode, stops, answerCancellation);
            if (route.Snaps.FirstOrDefault(snap => snap.Metres > MaxSnapMetres) is { } off)
            {
                return NotOnNetwork(off.Index == 0 ? "origin" : off.Index == stops.Count - 1 ? "destination" : $"waypoint {off.Index}", off.Metres);
            }
            return TypedResults.Ok(new RouteFeature(route.Geometry,
                new RouteProperties(Math.Round(route.Metres, 1), Math.Round(route.Seconds, 1), travelMode.Name, RoadNetworkSources.Attribution)));
        }, cancellationToken);
    }

    public static async Task<IResult> Isolines([Description(OriginDescription)] string? origin,
        [Description("One or more ranges, comma-separated: seconds, or metres with `range_type=distance` (`300,600,900`).")] string? range,
        [FromQuery(Name = "range_type"), Description("`time` (the default; seconds) or `distance` (metres).")] string? rangeType,
        [Description(ModeDescription)] string? mode,
        RoadNetworkState network, RoadRouter router, ClaimsPrincipal user, LdsQuota quota, HttpResponse response,
        CancellationToken cancellationToken)
    {
        if (StartProblem(network, response, mode, origin, out var travelMode, out var start) is { } problem)
        {
            return problem;
        }
        var byDistance = rangeType?.ToLowerInvariant() switch
        {
            null or "time" => false,
            "distance" => true,
            _ => (bool?)null,
        };
        if (byDistance is not { } distance)
        {
            return ProblemResults.BadRequest("Invalid range_type", "range_type is `time` (seconds) or `distance` (metres).");
        }
        var max = distance ? MaxDistanceRange : MaxTimeRange;
        var ranges = new List<double>();
        foreach (var value in (range ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !(number > 0 && number <= max))
            {
                return ProblemResults.BadRequest("Invalid range", $"range is one or more numbers above 0 and at most {max} " +
                    $"({(distance ? "metres" : "seconds")}), comma-separated.");
            }
            ranges.Add(number);
        }
        if (ranges.Count is 0 or > MaxRanges)
        {
            return ProblemResults.BadRequest("Invalid range", $"range is 1 to {MaxRanges} values, comma-separated.");
        }
        var distinct = ranges.Distinct().Order().ToList();
        // Each range is an isoline of the quota.
        return await quota.ChargedAsync(user, LdsServices.Isolines, distinct.Count, response, async answerCancellation =>
        {
            var isolines = await router.IsolinesAsync(travelMode, start, distinct, distance, answerCancellation);
            if (isolines.Origin.Metres > MaxSnapMetres)
            {
                return NotOnNetwork("origin", isolines.Origin.Metres);
            }
            return TypedResults.Ok(new IsolineCollection(isolines.Polygons.Select(polygon =>
                new IsolineFeature(polygon.Geometry, new IsolineProperties(polygon.Range, distance ? "distance" : "time", travelMode.Name))).ToList(),
                RoadNetworkSources.Attribution));
        }, cancellationToken);
    }

    /// <summary>What a route and an isoline both refuse first: a network still loading, a bad mode, a bad origin.</summary>
    private static IResult? StartProblem(RoadNetworkState network, HttpResponse response, string? mode, string? origin,
        out TravelMode travelMode, out (double Lon, double Lat) start)
    {
        travelMode = TravelMode.Car;
        start = default;
        if (DataUnavailable.Problem(network.UnavailableBecause, "Road network unavailable", response) is { } unavailable)
        {
            return unavailable;
        }
        if ((mode is null ? TravelMode.Car : TravelMode.All.FirstOrDefault(known => string.Equals(known.Name, mode, StringComparison.OrdinalIgnoreCase)))
            is not { } known)
        {
            return ProblemResults.BadRequest("Invalid mode", "mode is `car` or `walk`.");
        }
        travelMode = known;
        if (ParsePoint(origin, latitudeFirst: false) is not { } point)
        {
            return PointProblem("origin", "lon,lat");
        }
        start = point;
        return null;
    }

    /// <summary>A point written as two numbers, comma-separated: <c>lon,lat</c>, or <c>lat,lon</c> as CARTO writes waypoints.</summary>
    private static (double Lon, double Lat)? ParsePoint(string? text, bool latitudeFirst)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var first)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var second))
        {
            return null;
        }
        var (longitude, latitude) = latitudeFirst ? (second, first) : (first, second);
        return latitude is >= -90 and <= 90 && longitude is >= -180 and <= 180 ? (longitude, latitude) : null;
    }

    private static IResult PointProblem(string name, string form) =>
        ProblemResults.BadRequest($"Invalid {name}", $"{name} is `{form}`: two numbers, the longitude from -180 to 180 and the latitude from -90 to 90.");

    private static IResult NotOnNetwork(string which, double metres) => TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity,
        title: "Not on the road network", type: ProblemTypes.NotOnNetwork,
        detail: string.Create(CultureInfo.InvariantCulture, $"The {which} is {metres / 1000:N1} km from the nearest road of the network, " +
            $"more than {MaxSnapMetres} m: it is outside the installation's road network (`GET /api/v3/lds/routing/network` says where that is), and no route reaches it."));
}
