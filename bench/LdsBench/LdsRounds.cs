using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CartoSelfHosted.LdsApi.Geocoding;
using CartoSelfHosted.LdsApi.Routing;
using CartoSelfHosted.Platform.Warehouse;
using CartoSelfHosted.TilesBench;
using Npgsql;

namespace CartoSelfHosted.LdsBench;

/// <summary>
/// lds-api's geocode, reverse geocode, batch, route and isolines through the router, each next to the statement it runs
/// (lds-api's own <see cref="Geocoder"/> and <see cref="RoadRouter"/>) over a plain pool, in alternating rounds; the same
/// client measures both sides. With <c>--direct</c> (lds-api's own address), a third side asks lds-api without the router,
/// which says which of the two hops the time beyond the SQL goes to.
/// </summary>
public static class LdsRounds
{
    /// <summary>The issue's bar: the API within 1.3× of the plain SQL it wraps.</summary>
    private const double Goal = 1.3;

    private sealed record Side(string Name, Func<int, Task> Call);

    /// <summary>Two or three ways of one call, measured <paramref name="Requests"/> times a pass each.</summary>
    private sealed record Pair(string Label, Side Api, Side? Direct, Side Pool, int Requests)
    {
        /// <summary>The sides in the order a round measures them: the API's first in odd rounds, the pool's first in even ones.</summary>
        public IEnumerable<Side> InOrderOf(int round)
        {
            Side[] sides = Direct is null ? [Api, Pool] : [Api, Direct, Pool];
            return round % 2 == 1 ? sides : sides.Reverse();
        }
    }

    public static async Task<int> RunAsync(Options options)
    {
        var concurrency = options.Int("concurrency");
        var rounds = options.Int("rounds");
        var requests = options.Int("requests");
        var batchSize = options.Int("batch");
        var routeRequests = options.Int("route-requests");
        var connectionString = new NpgsqlConnectionStringBuilder(options.Get("warehouse")) { MaxPoolSize = concurrency }.ConnectionString;
        await using var pool = NpgsqlDataSource.Create(connectionString);
        var geocoder = new Geocoder(new WarehouseDatabase(pool, connectionString));
        var roads = new RoadRouter(new WarehouseDatabase(pool, connectionString));
        var places = await PlacesAsync(pool, Math.Max(requests, batchSize));
        var crossings = await CrossingsAsync(pool, routeRequests);
        Console.WriteLine($"{places.Count} places of the gazetteer, written \"name, admin1, country\"; points 0.01° from them; " +
            $"{crossings.Count} pairs of the car network's vertices for routes, the first of each for isolines");

        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Get("token"));
        var ldsRoot = options.Get("router").TrimEnd('/') + "/api/v3/lds";
        var lds = ldsRoot + "/geocoding";
        var direct = options.Find("direct") is { } directRoot ? directRoot.TrimEnd('/') + "/api/v3/lds" : null;
        Side? Direct(Func<string, Func<int, Task>> call) => direct is null ? null : new Side("direct", call(direct));

        Place At(int call) => places[call % places.Count];
        Crossing Across(int call) => crossings[call % crossings.Count];
        string Point((double Lon, double Lat) point) => $"{Number(point.Lon)},{Number(point.Lat)}";
        var pairs = new[]
        {
            new Pair("geocode",
                new Side("router", GeocodeAt(ldsRoot)), Direct(GeocodeAt),
                new Side("pool", call => geocoder.GeocodeAsync(At(call).Address, null, 1, CancellationToken.None)), requests),
            new Pair("reverse",
                new Side("router", ReverseAt(ldsRoot)), Direct(ReverseAt),
                new Side("pool", call => geocoder.ReverseGeocodeAsync(At(call).Latitude + 0.01, At(call).Longitude + 0.01, CancellationToken.None)), requests),
            new Pair("route",
                new Side("router", RouteAt(ldsRoot)), Direct(RouteAt),
                new Side("pool", call => roads.RouteAsync(TravelMode.Car, [Across(call).From, Across(call).To], CancellationToken.None)), routeRequests),
            new Pair("isolines",
                new Side("router", IsolinesAt(ldsRoot)), Direct(IsolinesAt),
                new Side("pool", call => roads.IsolinesAsync(TravelMode.Walk, Across(call).From, [300, 600, 900], false, CancellationToken.None)), routeRequests),
        };

        Func<int, Task> GeocodeAt(string root) => call => GetAsync(client, $"{root}/geocoding/geocode?address={Uri.EscapeDataString(At(call).Address)}");
        Func<int, Task> ReverseAt(string root) => call =>
            GetAsync(client, $"{root}/geocoding/reverse?lat={Number(At(call).Latitude + 0.01)}&lon={Number(At(call).Longitude + 0.01)}");
        Func<int, Task> RouteAt(string root) => call =>
            GetAsync(client, $"{root}/routing?origin={Point(Across(call).From)}&destination={Point(Across(call).To)}&mode=car");
        Func<int, Task> IsolinesAt(string root) => call =>
            GetAsync(client, $"{root}/isolines?origin={Point(Across(call).From)}&range=300,600,900&mode=walk");
        var batch = places.Take(batchSize).Select(place => place.Address).ToList();
        var batchSides = new[]
        {
            new Side("router", _ => PostBatchAsync(client, $"{lds}/batch", batch)),
            new Side("pool", _ => geocoder.GeocodeBatchAsync(batch.Select(address => (address, (string?)null)).ToList(), 1, CancellationToken.None)),
        };

        Console.WriteLine($"\n{requests} geocodes and {routeRequests} routes or isolines (car; on foot, 300/600/900 s) a pass, {concurrency} in " +
            $"flight, warm-up rounds for {options.Int("warmup")} s at least, milliseconds; a batch of {batchSize} addresses, addresses/s");
        Console.WriteLine($"{"round",-8}{"call",-10}{"side",-8}{"p50",9}{"p99",9}{"req/s",9}");
        var passes = new Dictionary<(string Call, string Side), List<Pass>>();
        var batches = new Dictionary<string, List<double>>();
        async Task RunRoundAsync(int round)
        {
            var label = round == 0 ? "warm-up" : round.ToString(CultureInfo.InvariantCulture);
            foreach (var pair in pairs)
            {
                foreach (var side in pair.InOrderOf(round))
                {
                    var calls = 0;
                    var pass = await ClosedLoop.PassAsync(() => side.Call(Interlocked.Increment(ref calls)), pair.Requests, concurrency);
                    Console.WriteLine($"{label,-8}{pair.Label,-10}{side.Name,-8}{ClosedLoop.Ms(pass.P50),9}{ClosedLoop.Ms(pass.P99),9}{pass.PerSecond,9:F0}");
                    if (round > 0)
                    {
                        (passes.TryGetValue((pair.Label, side.Name), out var list) ? list : passes[(pair.Label, side.Name)] = []).Add(pass);
                    }
                }
            }
            foreach (var side in round % 2 == 1 ? batchSides : batchSides.Reverse())
            {
                var stopwatch = Stopwatch.StartNew();
                await side.Call(0);
                var perSecond = batchSize / stopwatch.Elapsed.TotalSeconds;
                Console.WriteLine($"{label,-8}{"batch",-10}{side.Name,-8}{"",18}{perSecond,9:F0}");
                if (round > 0)
                {
                    (batches.TryGetValue(side.Name, out var list) ? list : batches[side.Name] = []).Add(perSecond);
                }
            }
        }
        await ClosedLoop.RoundsAsync(TimeSpan.FromSeconds(options.Int("warmup")), rounds, RunRoundAsync);

        Console.WriteLine($"\nmedian of {rounds} rounds (lowest–highest); router ÷ pool; goal ≤ {Goal}×");
        Console.WriteLine($"{"call",-10}{"side",-8}{"p50 ms",24}{"p99 ms",24}{"req/s",9}");
        foreach (var pair in pairs)
        {
            ClosedLoop.PrintPair(pair.Label, 10, (pair.Api.Name, passes[(pair.Label, pair.Api.Name)]),
                (pair.Pool.Name, passes[(pair.Label, pair.Pool.Name)]), Goal);
        }
        if (direct is not null)
        {
            Console.WriteLine($"\nlds-api without the router ÷ pool: where the time beyond the SQL goes");
            foreach (var pair in pairs)
            {
                ClosedLoop.PrintPair(pair.Label, 10, ("direct", passes[(pair.Label, "direct")]), (pair.Pool.Name, passes[(pair.Label, pair.Pool.Name)]), null);
            }
        }
        var batchRatio = ClosedLoop.Median(batches["pool"]) / ClosedLoop.Median(batches["router"]);
        Console.WriteLine($"{"batch",-10}{"router",-8}{ClosedLoop.Spread(batches["router"], "F0") + " addresses/s",48}");
        Console.WriteLine($"{"batch",-10}{"pool",-8}{ClosedLoop.Spread(batches["pool"], "F0") + " addresses/s",48}");
        Console.WriteLine($"{"batch",-10}{"ratio",-8}{batchRatio,47:F2}×  {(batchRatio <= Goal ? "PASS" : "MISS")} (pool ÷ router addresses/s)");
        return 0;
    }

    private sealed record Place(string Address, double Latitude, double Longitude);

    /// <summary>Places of the gazetteer in a fixed order, each written as a user would: name, admin1, country.</summary>
    private static async Task<List<Place>> PlacesAsync(NpgsqlDataSource pool, int count)
    {
        await using var command = pool.CreateCommand("""
            SELECT concat_ws(', ', name, admin1, country_name), latitude, longitude FROM lds.places ORDER BY md5(id::text) LIMIT $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = count });
        await using var reader = await command.ExecuteReaderAsync();
        var places = new List<Place>();
        while (await reader.ReadAsync())
        {
            places.Add(new Place(reader.GetString(0), reader.GetDouble(1), reader.GetDouble(2)));
        }
        return places;
    }

    private sealed record Crossing((double Lon, double Lat) From, (double Lon, double Lat) To);

    /// <summary>Pairs of the car network's vertices in a fixed order, at least 2 km apart: routes across part of the city.</summary>
    private static async Task<List<Crossing>> CrossingsAsync(NpgsqlDataSource pool, int count)
    {
        await using var command = pool.CreateCommand("""
            WITH v AS (SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, geom, row_number() OVER (ORDER BY md5(id::text)) AS n FROM routing.car_vertices)
            SELECT a.lon, a.lat, b.lon, b.lat FROM v a JOIN v b ON b.n = a.n + 1
            WHERE ST_Distance(a.geom::geography, b.geom::geography) > 2000 ORDER BY a.n LIMIT $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = count });
        await using var reader = await command.ExecuteReaderAsync();
        var crossings = new List<Crossing>();
        while (await reader.ReadAsync())
        {
            crossings.Add(new Crossing((reader.GetDouble(0), reader.GetDouble(1)), (reader.GetDouble(2), reader.GetDouble(3))));
        }
        return crossings;
    }

    private static async Task GetAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var answer = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode} from {url}: {answer}");
        }
    }

    private static async Task PostBatchAsync(HttpClient client, string url, IReadOnlyList<string> addresses)
    {
        using var response = await client.PostAsJsonAsync(url, new { addresses });
        var answer = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode} from {url}: {answer}");
        }
    }

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
}
