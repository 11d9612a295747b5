using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using CartoSelfHosted.Platform.Catalog;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Warehouse;
using CartoSelfHosted.TilesBench;
using CartoSelfHosted.WorkspaceApi.Search;
using Npgsql;

namespace CartoSelfHosted.WorkspaceBench;

/// <summary>
/// The workspace's two figures of issue 16: the catalog listing of a 1,000-table schema (whole, and its first page of 30)
/// and search over 10,000 resources (goal: under 50 ms), each through workspace-api (Release, on its own port, no HTTP
/// cache in front) next to the very statement it runs (CatalogStore's, SearchStore's) over a plain Npgsql pool — what
/// PostgreSQL alone takes. Sides alternate which goes first, round by round.
/// </summary>
public static class WorkspaceRounds
{
    private const double SearchGoal = 50;

    /// <summary>What a search box sends as people type: prefixes, two words, a place and a year; walked round.</summary>
    private static readonly string[] TypicalQueries =
    [
        "roa", "road segments", "parcels madrid", "census", "bike lan", "flood zones 2020", "schools lisbon", "species", "hospitals cap",
        "traffic", "survey berlin", "trees", "analytics", "power lines ohio", "zoning", "dashboard",
    ];

    private sealed record Side(string Name, Func<Task> Call);

    private sealed record Case(string Name, Side Api, Side Postgres, double? Goal);

    public static async Task<int> RunAsync(Options options)
    {
        var (requests, concurrency, rounds) = (options.Int("requests"), options.Int("concurrency"), options.Int("rounds"));
        Console.WriteLine("making the organization: 1,000 warehouse tables, 6,000 tables of 20 connections, 2,980 maps, 20 connections...");
        var data = await WorkspaceData.CreateAsync(options.Get("postgres"));
        var port = FreePort();
        using var api = StartWorkspaceApi(options, data, port);
        try
        {
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, UseProxy = false, AutomaticDecompression = DecompressionMethods.None };
            using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(120) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", data.Token);
            await WaitForAsync(client, api);
            await data.CreateWarehouseTablesAsync();
            var listing = $"/api/v3/connections/{WarehouseDatabase.BuiltInConnectionName}/resources/{data.Schema}";
            var whole = Stopwatch.StartNew();
            var first = await GetAsync(client, listing + "?page_size=1000");
            Console.WriteLine($"the first listing read the schema's {first.GetProperty("total").GetInt64()} tables from the warehouse whole in " +
                $"{whole.Elapsed.TotalSeconds:F1} s (once; every listing after reads the catalog)");

            await using var pool = NpgsqlDataSource.Create(data.Metadata);
            var metadata = new MetadataDatabase(pool);
            var catalog = new CatalogStore(metadata);
            var search = new SearchStore(metadata);
            await CheckSameTotalsAsync(client, search, data);

            Case Listing(int pageSize) => new($"catalog listing, page of {pageSize}",
                new Side("api", () => GetAsync(client, $"{listing}?page_size={pageSize}")),
                new Side("postgres", () => catalog.ListTablesAsync(data.OrganizationId, WarehouseDatabase.BuiltInConnectionName, data.Schema, 1, pageSize,
                    CancellationToken.None)), Goal: null);
            Case Search(string name, string[] queries)
            {
                var (nextApi, nextPostgres) = (-1, -1);
                return new Case(name,
                    new Side("api", () => GetAsync(client, SearchPath(queries[(uint)Interlocked.Increment(ref nextApi) % queries.Length]))),
                    new Side("postgres", () => search.SearchAsync(Request(data, queries[(uint)Interlocked.Increment(ref nextPostgres) % queries.Length]),
                        CancellationToken.None)), SearchGoal);
            }

            Case[] cases =
            [
                Listing(1000), Listing(30),
                Search($"search, {TypicalQueries.Length} typical queries", TypicalQueries),
                Search("search, one letter (\"s\", the most hits)", ["s"]),
            ];
            Console.WriteLine($"\n{requests} requests a pass, {concurrency} in flight, a warm-up round then {rounds}; milliseconds; on {Environment.ProcessorCount} cores");
            var results = new List<(Case Case, List<Pass> Api, List<Pass> Postgres)>();
            foreach (var benchCase in cases)
            {
                Console.WriteLine($"\n{benchCase.Name}");
                Console.WriteLine($"{"round",-8}{"side",-10}{"p50",10}{"p99",10}{"calls/s",10}");
                var passes = new Dictionary<string, List<Pass>> { ["api"] = [], ["postgres"] = [] };
                for (var round = 0; round <= rounds; round++)
                {
                    foreach (var side in round % 2 == 0 ? new[] { benchCase.Api, benchCase.Postgres } : [benchCase.Postgres, benchCase.Api])
                    {
                        var pass = await ClosedLoop.PassAsync(side.Call, requests, concurrency);
                        Console.WriteLine($"{(round == 0 ? "warm-up" : round.ToString(CultureInfo.InvariantCulture)),-8}{side.Name,-10}" +
                            $"{ClosedLoop.Ms(pass.P50, "F2"),10}{ClosedLoop.Ms(pass.P99, "F2"),10}{pass.PerSecond,10:F0}");
                        if (round > 0)
                        {
                            passes[side.Name].Add(pass);
                        }
                    }
                }
                results.Add((benchCase, passes["api"], passes["postgres"]));
            }

            Console.WriteLine($"\nmedian (lowest–highest) of {rounds} rounds, milliseconds");
            Console.WriteLine($"| measure | api p50 | api p99 | PostgreSQL alone p50 | PostgreSQL alone p99 | goal |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
            foreach (var (benchCase, apiPasses, postgresPasses) in results)
            {
                var goal = benchCase.Goal is { } bar
                    ? $"< {bar} ms: {(ClosedLoop.Median(apiPasses.Select(pass => pass.P50)) < bar ? "PASS" : "MISS")} at p50, " +
                      $"{(ClosedLoop.Median(apiPasses.Select(pass => pass.P99)) < bar ? "PASS" : "MISS")} at p99"
                    : "";
                Console.WriteLine($"| {benchCase.Name} | {ClosedLoop.Spread(apiPasses.Select(pass => pass.P50), "F2")} | " +
                    $"{ClosedLoop.Spread(apiPasses.Select(pass => pass.P99), "F2")} | {ClosedLoop.Spread(postgresPasses.Select(pass => pass.P50), "F2")} | " +
                    $"{ClosedLoop.Spread(postgresPasses.Select(pass => pass.P99), "F2")} | {goal} |");
            }
            return 0;
        }
        finally
        {
            api.Kill(entireProcessTree: true);
            await api.WaitForExitAsync();
        }
    }

    /// <summary>Both sides find the same hits: the reference is the API's statement, not an easier one.</summary>
    private static async Task CheckSameTotalsAsync(HttpClient client, SearchStore search, WorkspaceData data)
    {
        Console.WriteLine("hits per query (page of 20; api = PostgreSQL alone):");
        foreach (var q in TypicalQueries.Append("s"))
        {
            var total = (await GetAsync(client, SearchPath(q))).GetProperty("total").GetInt64();
            var (_, reference) = await search.SearchAsync(Request(data, q), CancellationToken.None);
            if (total != reference)
            {
                throw new InvalidOperationException($"'{q}': the API found {total}, the statement alone {reference}");
            }
            Console.Write($" {q}: {total};");
        }
        Console.WriteLine();
    }

    private static string SearchPath(string q) => $"/api/v3/search?q={Uri.EscapeDataString(q)}&page_size=20";

    /// <summary>The request SearchApi makes of the bench user's query: an editor, who reads maps.</summary>
    private static SearchRequest Request(WorkspaceData data, string q) => new(data.OrganizationId, data.UserId, IsAdmin: false, ReadsMaps: true,
        SearchText.ToTsQuery(SearchText.Words(q)), SearchTypes.All.ToHashSet(), Page: 1, PageSize: 20);

    private static Process StartWorkspaceApi(Options options, WorkspaceData data, int port)
    {
        var start = new ProcessStartInfo("dotnet", [options.Get("workspace-api"), "--urls", $"http://127.0.0.1:{port}"])
        {
            UseShellExecute = false,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__metadata"] = data.Metadata,
                ["ConnectionStrings__warehouse"] = data.Warehouse,
                ["ConnectionStrings__redis"] = options.Get("redis"),
                ["PUBSUB_EMULATOR_HOST"] = options.Get("pubsub"),
                ["PubSub__ProjectId"] = "bench-workspace",
                ["Logging__LogLevel__Default"] = "Warning",
            },
        };
        return Process.Start(start)!;
    }

    private static async Task WaitForAsync(HttpClient client, Process api)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            if (api.HasExited)
            {
                throw new InvalidOperationException($"workspace-api exited with {api.ExitCode}");
            }
            try
            {
                // A call of the bench user's that reads the metadata database (not the connections: their passwords are placeholders).
                using var response = await client.GetAsync("/api/v3/maps?pageSize=1");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("workspace-api did not answer within 2 minutes");
            }
            await Task.Delay(250);
        }
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        // Read whole, as a client would, so that the time is to the last byte.
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode} from {path}: {System.Text.Encoding.UTF8.GetString(body)}");
        }
        return JsonDocument.Parse(body).RootElement;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
