using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CartoSelfHosted.AccountsApi.Accounts;
using CartoSelfHosted.TilesBench;

namespace CartoSelfHosted.AccountsBench;

/// <summary>
/// What authentication costs: a sign-in against the password hash it is made of, and what an API access token's checks
/// (its grants at maps-api; its limits and referers at the router) add to a tile against the development token, which
/// has none. Sides alternate which goes first, round by round, so neither always meets what the other left behind.
/// </summary>
public static class AuthenticationRounds
{
    /// <summary>The issue's bar: an API access token adds less than this to a tile at p50, in milliseconds.</summary>
    private const double TileGoal = 0.2;

    private sealed record Side(string Name, Func<Task> Call);

    public static async Task<int> RunAsync(Options options)
    {
        var concurrency = options.Int("concurrency");
        var rounds = options.Int("rounds");
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency, UseProxy = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None,
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };

        // Sign-in: the router, accounts-api and its metadata lookups around one PBKDF2 verification, against that alone.
        var passwords = new Passwords();
        var password = options.Get("password");
        var hash = passwords.Hash(password);
        var signInUrl = new Uri(options.Get("router").TrimEnd('/') + "/api/v3/accounts/signin");
        var credentials = new { email = options.Get("email"), password };
        Side[] signIn =
        [
            new("sign-in", async () =>
            {
                using var response = await client.PostAsJsonAsync(signInUrl, credentials);
                await EnsureAsync(response);
            }),
            new("hash", () => Task.Run(() =>
            {
                if (!passwords.Verify(hash, password, out _))
                {
                    throw new InvalidOperationException("the password did not verify against its own hash");
                }
            })),
        ];
        // One at a time by default: the latency of a sign-in, not of a queue of them (at 16 in flight on two cores each
        // waits for the hashes ahead of it).
        var signInConcurrency = options.Int("signin-concurrency");
        Console.WriteLine($"sign-in through the router next to its password hash alone (PBKDF2, Passwords.Verify); {options.Int("signins")} a pass, " +
            $"{signInConcurrency} in flight; milliseconds");
        var signInPasses = await RoundsAsync(signIn, rounds, options.Int("signins"), signInConcurrency, "F1");
        Report(signInPasses, "sign-in", "hash", "F1", goal: null);

        // A tile: the same URL with either token (the source is the same whoever instantiated it), a list of tiles
        // walked round, every one kept by maps-api in Redis and by the HTTP cache after the warm-up round.
        var template = options.Get("tile-template");
        var router = new Uri(template).GetLeftPart(UriPartial.Authority);
        var tilePaths = Tiles(maxZoom: 3).Select(tile => template.Replace("{z}/{x}/{y}", tile)[router.Length..]).ToArray();
        foreach (var (place, origin) in new[] { ("maps-api", options.Get("maps").TrimEnd('/')), ("router+cache", router) })
        {
            var next = -1;
            Side TileSide(string name, string token) => new(name, async () =>
            {
                var path = tilePaths[(uint)Interlocked.Increment(ref next) % tilePaths.Length];
                using var request = new HttpRequestMessage(HttpMethod.Get, origin + path);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await client.SendAsync(request);
                await EnsureAsync(response);
            });
            Console.WriteLine($"\na tile on {place} ({tilePaths.Length} tiles of zooms 0–3, walked round), {options.Int("tiles")} a pass, " +
                $"{concurrency} in flight; milliseconds");
            var tilePasses = await RoundsAsync([TileSide("granted", options.Get("granted-token")), TileSide("dev", options.Get("dev-token"))],
                rounds, options.Int("tiles"), concurrency, "F3");
            Report(tilePasses, "granted", "dev", "F3", TileGoal);
        }
        return 0;
    }

    // Two rounds before those that count: the first one of a freshly started Release build still runs code the JIT has
    // not optimised yet (seen as rounds getting faster and faster), which one round did not get past.
    private const int WarmUpRounds = 2;

    private static async Task<Dictionary<string, List<Pass>>> RoundsAsync(Side[] sides, int rounds, int calls, int concurrency, string format)
    {
        Console.WriteLine($"{"round",-8}{"side",-10}{"p50",10}{"p99",10}{"calls/s",10}");
        var passes = sides.ToDictionary(side => side.Name, _ => new List<Pass>());
        for (var round = 1 - WarmUpRounds; round <= rounds; round++)
        {
            foreach (var side in round % 2 != 0 ? sides : sides.Reverse())
            {
                var pass = await ClosedLoop.PassAsync(side.Call, calls, concurrency);
                Console.WriteLine($"{(round <= 0 ? "warm-up" : round.ToString(CultureInfo.InvariantCulture)),-8}{side.Name,-10}" +
                    $"{ClosedLoop.Ms(pass.P50, format),10}{ClosedLoop.Ms(pass.P99, format),10}{pass.PerSecond,10:F0}");
                if (round > 0)
                {
                    passes[side.Name].Add(pass);
                }
            }
        }
        return passes;
    }

    /// <summary>The medians of the rounds (lowest–highest), and what the first side adds to the second at p50 and p99.</summary>
    private static void Report(Dictionary<string, List<Pass>> passes, string measured, string reference, string format, double? goal)
    {
        Console.WriteLine($"median (lowest–highest) of {passes[measured].Count} rounds");
        foreach (var (name, list) in passes)
        {
            Console.WriteLine($"  {name,-10} p50 {ClosedLoop.Spread(list.Select(pass => pass.P50), format),-28} p99 {ClosedLoop.Spread(list.Select(pass => pass.P99), format)}");
        }
        // Round by round, the two sides ran one after the other: their difference in each round is less swayed by what the
        // machine did over the whole run than the difference of the medians.
        var p50 = ClosedLoop.Median(passes[measured].Zip(passes[reference], (a, b) => a.P50 - b.P50));
        var p99 = ClosedLoop.Median(passes[measured].Zip(passes[reference], (a, b) => a.P99 - b.P99));
        Console.WriteLine($"  {measured} − {reference}, the median of the rounds' differences: p50 {ClosedLoop.Ms(p50, format)} ms, " +
            $"p99 {ClosedLoop.Ms(p99, format)} ms" + (goal is { } bar ? $"; goal < {bar} ms at p50: {(p50 < bar ? "PASS" : "MISS")}" : ""));
    }

    /// <summary>Every z/x/y of zooms 0 to <paramref name="maxZoom"/>.</summary>
    private static IEnumerable<string> Tiles(int maxZoom) =>
        from z in Enumerable.Range(0, maxZoom + 1)
        from x in Enumerable.Range(0, 1 << z)
        from y in Enumerable.Range(0, 1 << z)
        select $"{z}/{x}/{y}";

    private static async Task EnsureAsync(HttpResponseMessage response)
    {
        // The body is read whole, as a client would, so that the time is to its last byte.
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode} from {response.RequestMessage?.RequestUri}: " +
                System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300))));
        }
    }
}
