using System.Net;
using System.Text.Json;

namespace CartoSelfHosted.Integration.Tests.Lds;

/// <summary>
/// lds-api's routing and isolines on the Gothenburg road network (OpenStreetMap, loaded by osm2pgrouting into pgRouting): a
/// route follows the roads, car and foot differ, a point off the network is a clear problem, isolines nest around their
/// origin, bad input is a problem, and a token is needed.
/// </summary>
[Collection(LdsEnvironment.Collection)]
public sealed class RoutingApiTests(LdsEnvironment environment)
{
    // Across the city centre, from Majorna to Olskroken: about 5.4 km as the crow flies, the Göta älv's bridges between.
    private const string Origin = "11.94,57.68";
    private const string Destination = "11.99,57.72";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("car")]
    [InlineData("walk")]
    public async Task ARouteAcrossGothenburgFollowsTheRoads(string mode)
    {
        var route = await GetAsync($"/api/v3/lds/routing?origin={Origin}&destination={Destination}&mode={mode}");
        Assert.Equal("Feature", route.GetProperty("type").GetString());
        var geometry = route.GetProperty("geometry");
        Assert.Equal("LineString", geometry.GetProperty("type").GetString());
        var properties = route.GetProperty("properties");
        Assert.Equal(mode, properties.GetProperty("mode").GetString());
        Assert.Contains("OpenStreetMap", properties.GetProperty("attribution").GetString());

        var straight = LdsEnvironment.DistanceKm(57.68, 11.94, 57.72, 11.99) * 1000;
        var distance = properties.GetProperty("distance").GetDouble();
        Assert.InRange(distance, 1.0 * straight, 2.5 * straight);
        Assert.True(properties.GetProperty("duration").GetDouble() > 0);

        // Every vertex of the line lies on an edge of the mode's network (within 1e-7°, a centimetre), and it runs from near the
        // origin to near the destination.
        var edges = mode == "car" ? "routing.car_edges" : "routing.foot_edges";
        var (vertices, offNetwork, lineMetres, fromOrigin, toDestination) = (await environment.WarehouseRowsAsync($"""
            WITH line AS (SELECT ST_GeomFromGeoJSON($1) AS geom)
            SELECT ST_NPoints(line.geom),
                (SELECT count(*) FROM ST_DumpPoints(line.geom) p
                 WHERE NOT EXISTS (SELECT FROM {edges} e WHERE ST_DWithin(e.geom, p.geom, 1e-7))),
                ST_Length(line.geom::geography),
                ST_Distance(ST_StartPoint(line.geom)::geography, ST_MakePoint(11.94, 57.68)::geography),
                ST_Distance(ST_EndPoint(line.geom)::geography, ST_MakePoint(11.99, 57.72)::geography)
            FROM line
            """, reader => (reader.GetInt32(0), reader.GetInt64(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4)),
            geometry.GetRawText())).Single();
        Assert.True(vertices > 20, $"{vertices} vertices");
        Assert.Equal(0, offNetwork);
        Assert.InRange(lineMetres, distance * 0.99, distance * 1.01);
        Assert.True(fromOrigin < 100 && toDestination < 100, $"{fromOrigin} m from the origin, {toDestination} m from the destination");
    }

    [Fact]
    public async Task ACarAndAWalkerTakeDifferentWays()
    {
        var car = await GetAsync($"/api/v3/lds/routing?origin={Origin}&destination={Destination}&mode=car");
        var walk = await GetAsync($"/api/v3/lds/routing?origin={Origin}&destination={Destination}&mode=walk");
        var (carDistance, carDuration) = (Property(car, "distance"), Property(car, "duration"));
        var (walkDistance, walkDuration) = (Property(walk, "distance"), Property(walk, "duration"));
        // Footways, paths and the pedestrian streets of the centre are not for cars, and one-way streets only for them: the walker's
        // way is shorter, the car's much faster.
        Assert.True(walkDistance < carDistance * 0.95, $"walk {walkDistance} m, car {carDistance} m");
        Assert.True(carDuration * 3 < walkDuration, $"car {carDuration} s, walk {walkDuration} s");
        // Walking at 5 km/h.
        Assert.InRange(walkDuration - walkDistance / (5 / 3.6), -1, 1);

        // Part of the walker's way is where no car may go: vertices of its line farther than 2e-4° (12–22 m
        // here) from every road of the car network.
        var offCarNetwork = (await environment.WarehouseRowsAsync("""
            SELECT count(*) FROM ST_DumpPoints(ST_GeomFromGeoJSON($1)) p
            WHERE NOT EXISTS (SELECT FROM routing.car_edges c WHERE ST_DWithin(c.geom, p.geom, 2e-4))
            """, reader => reader.GetInt64(0), walk.GetProperty("geometry").GetRawText())).Single();
        Assert.True(offCarNetwork > 10, $"{offCarNetwork} of the walk's vertices off the car network");
    }

    private static double Property(JsonElement route, string name) => route.GetProperty("properties").GetProperty(name).GetDouble();

    [Fact]
    public async Task WaypointsAreVisitedInOrder()
    {
        var direct = (await GetAsync($"/api/v3/lds/routing?origin={Origin}&destination={Destination}&mode=walk")).GetProperty("properties");
        // A detour south, by Guldheden, written lat,lon as CARTO writes waypoints.
        var route = await GetAsync($"/api/v3/lds/routing?origin={Origin}&destination={Destination}&mode=walk&waypoints=57.67,11.96");
        Assert.True(route.GetProperty("properties").GetProperty("distance").GetDouble() > direct.GetProperty("distance").GetDouble() * 1.2);
        var nearWaypoint = (await environment.WarehouseRowsAsync(
            "SELECT ST_Distance(ST_GeomFromGeoJSON($1)::geography, ST_MakePoint(11.96, 57.67)::geography)",
            reader => reader.GetDouble(0), route.GetProperty("geometry").GetRawText())).Single();
        Assert.True(nearWaypoint < 100, $"{nearWaypoint} m from the waypoint");
    }

    [Theory]
    [InlineData("/api/v3/lds/routing?origin=11.94,57.68&destination=18.07,59.33", "destination")]
    [InlineData("/api/v3/lds/routing?origin=2.35,48.85&destination=11.99,57.72&mode=walk", "origin")]
    [InlineData("/api/v3/lds/routing?origin=11.94,57.68&destination=11.99,57.72&waypoints=59.33,18.07", "waypoint 1")]
    [InlineData("/api/v3/lds/isolines?origin=18.07,59.33&range=600", "origin")]
    public async Task APointOffTheNetworkIsAClearProblem(string url, string named)
    {
        using var client = environment.Client();
        var problem = await LdsEnvironment.AssertProblemAsync(await client.GetAsync(url, Cancellation), named, HttpStatusCode.UnprocessableEntity);
        Assert.EndsWith("/not-on-network", problem.GetProperty("type").GetString());
        Assert.Contains("road network", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("car")]
    [InlineData("walk")]
    public async Task IsolinesAreNestedPolygonsAroundTheOrigin(string mode)
    {
        var answer = await GetAsync($"/api/v3/lds/isolines?origin=11.97,57.70&range=900,300,600&range_type=time&mode={mode}");
        Assert.Equal("FeatureCollection", answer.GetProperty("type").GetString());
        Assert.Contains("OpenStreetMap", answer.GetProperty("attribution").GetString());
        var features = answer.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal([300.0, 600.0, 900.0], features.Select(feature => feature.GetProperty("properties").GetProperty("range").GetDouble()));
        Assert.All(features, feature =>
        {
            Assert.Equal("time", feature.GetProperty("properties").GetProperty("range_type").GetString());
            Assert.Equal(mode, feature.GetProperty("properties").GetProperty("mode").GetString());
        });

        var polygons = features.Select(feature => feature.GetProperty("geometry").GetRawText()).ToArray();
        var shapes = await environment.WarehouseRowsAsync("""
            SELECT ST_GeometryType(g), ST_Covers(g, ST_SetSRID(ST_MakePoint(11.97, 57.70), 4326)), ST_Area(g::geography),
                ST_Covers(ST_Buffer(lead(g) OVER (ORDER BY n), 1e-9), g)
            FROM unnest($1::text[]) WITH ORDINALITY AS p (geojson, n), ST_GeomFromGeoJSON(geojson) AS g
            ORDER BY n
            """, reader => (Type: reader.GetString(0), HasOrigin: reader.GetBoolean(1), Area: reader.GetDouble(2),
                InsideNext: reader.IsDBNull(3) ? (bool?)null : reader.GetBoolean(3)), [polygons]);
        Assert.All(shapes, shape => Assert.Contains(shape.Type, new[] { "ST_Polygon", "ST_MultiPolygon" }));
        Assert.All(shapes, shape => Assert.True(shape.HasOrigin));
        Assert.Equal([true, true, null], shapes.Select(shape => shape.InsideNext));
        Assert.True(shapes[0].Area < shapes[1].Area && shapes[1].Area < shapes[2].Area, string.Join(", ", shapes.Select(shape => shape.Area)));
    }

    [Fact]
    public async Task TheOlderIsolinePathAnswersAsTheCurrentOne()
    {
        const string Query = "?origin=11.97,57.70&range=300,600&range_type=time&mode=walk";
        Assert.Equal((await GetAsync("/api/v3/lds/isolines" + Query)).GetRawText(),
            (await GetAsync("/api/v3/lds/isolines/isoline" + Query)).GetRawText());
    }

    [Fact]
    public async Task DistanceIsolinesGrowWithTheRange()
    {
        var features = (await GetAsync("/api/v3/lds/isolines?origin=11.97,57.70&range=500,1500&range_type=distance&mode=walk"))
            .GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(2, features.Count);
        Assert.All(features, feature => Assert.Equal("distance", feature.GetProperty("properties").GetProperty("range_type").GetString()));
        var areas = await environment.WarehouseRowsAsync("SELECT ST_Area(ST_GeomFromGeoJSON(geojson)::geography) FROM unnest($1::text[]) geojson",
            reader => reader.GetDouble(0), [features.Select(feature => feature.GetProperty("geometry").GetRawText()).ToArray()]);
        // 1.5 km of paths reach at most a disc of that radius.
        Assert.True(areas[0] < areas[1] && areas[1] < Math.PI * 1500 * 1500, string.Join(", ", areas));
    }

    [Theory]
    [InlineData("/api/v3/lds/routing?destination=11.99,57.72", "origin")]
    [InlineData("/api/v3/lds/routing?origin=11.94,57.68", "destination")]
    [InlineData("/api/v3/lds/routing?origin=11.94;57.68&destination=11.99,57.72", "origin")]
    [InlineData("/api/v3/lds/routing?origin=11.94,97.68&destination=11.99,57.72", "origin")]
    [InlineData("/api/v3/lds/routing?origin=11.94,57.68&destination=east", "destination")]
    [InlineData("/api/v3/lds/routing?origin=11.94,57.68&destination=11.99,57.72&mode=bicycle", "mode")]
    [InlineData("/api/v3/lds/routing?origin=11.94,57.68&destination=11.99,57.72&waypoints=57.7", "waypoints")]
    [InlineData("/api/v3/lds/routing?origin=11.94,57.68&destination=11.99,57.72&waypoints=57.7,11.9;57.7,11.9;57.7,11.9;57.7,11.9;57.7,11.9;57.7,11.9;57.7,11.9;57.7,11.9;57.7,11.9;57.7,11.9;57.7,11.9", "at most 10")]
    [InlineData("/api/v3/lds/isolines?range=300", "origin")]
    [InlineData("/api/v3/lds/isolines?origin=11.97,57.70", "range")]
    [InlineData("/api/v3/lds/isolines?origin=11.97,57.70&range=0", "range")]
    [InlineData("/api/v3/lds/isolines?origin=11.97,57.70&range=3601", "3600")]
    [InlineData("/api/v3/lds/isolines?origin=11.97,57.70&range=60000&range_type=distance", "50000")]
    [InlineData("/api/v3/lds/isolines?origin=11.97,57.70&range=ten", "range")]
    [InlineData("/api/v3/lds/isolines?origin=11.97,57.70&range=1,2,3,4,5,6", "1 to 5")]
    [InlineData("/api/v3/lds/isolines?origin=11.97,57.70&range=300&range_type=energy", "range_type")]
    [InlineData("/api/v3/lds/isolines?origin=11.97,57.70&range=300&mode=boat", "mode")]
    public async Task BadQueriesAreProblems(string url, string named)
    {
        using var client = environment.Client();
        await LdsEnvironment.AssertProblemAsync(await client.GetAsync(url, Cancellation), named);
    }

    [Fact]
    public async Task EveryEndpointNeedsATokenAndAnApiAccessTokenNeedsLds()
    {
        string[] urls = [$"/api/v3/lds/routing?origin={Origin}&destination={Destination}", "/api/v3/lds/isolines?origin=11.97,57.70&range=120"];
        using var anonymous = environment.Lds.CreateClient();
        using var mapsOnly = environment.Lds.CreateClient(await environment.ApiAccessTokenAsync("maps"));
        using var lds = environment.Lds.CreateClient(await environment.ApiAccessTokenAsync("lds"));
        foreach (var url in urls)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(url, Cancellation)).StatusCode);
            await LdsEnvironment.AssertProblemAsync(await mapsOnly.GetAsync(url, Cancellation), "allowed_apis", HttpStatusCode.Forbidden);
            Assert.Equal(HttpStatusCode.OK, (await lds.GetAsync(url, Cancellation)).StatusCode);
        }
    }

    private async Task<JsonElement> GetAsync(string url)
    {
        using var client = environment.Client();
        using var response = await client.GetAsync(url, Cancellation);
        var text = await response.Content.ReadAsStringAsync(Cancellation);
        Assert.True(response.IsSuccessStatusCode, $"{url}: {text}");
        var attribution = response.Headers.GetValues("X-Data-Attribution").Single();
        Assert.Contains("OpenStreetMap", attribution);
        // Kestrel refuses a header that is not ASCII (the test server does not).
        Assert.True(attribution.All(char.IsAscii), attribution);
        return JsonDocument.Parse(text).RootElement;
    }
}
