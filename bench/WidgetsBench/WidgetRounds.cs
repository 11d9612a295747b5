using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.TilesBench;
using Npgsql;

namespace CartoSelfHosted.WidgetsBench;

/// <summary>
/// Each widget model through the router and its statement over a plain pool, and a quadbin tile next to the vector tile
/// of the same area, in alternating rounds at the same concurrency, with every request timed from sending to the
/// answer's last byte; the same client measures both sides of each pair.
/// </summary>
public static class WidgetRounds
{
    /// <summary>The issue's bar: the API within 1.3× of the same SQL run directly.</summary>
    private const double Goal = 1.3;

    public sealed record Side(string Name, Func<Task<string>> Call);

    /// <summary>What is measured against what: the first side ÷ the second, against a goal where the issue sets one.</summary>
    private sealed record Pair(string Label, Side Measured, Side Reference, double? Goal);

    public static async Task<int> RunAsync(Options options)
    {
        var concurrency = options.Int("concurrency");
        var rounds = options.Int("rounds");
        var requests = options.Int("requests");
        var table = options.Get("table");
        var fromClause = $"{SqlIdentifier.Quote(options.Get("schema"))}.{SqlIdentifier.Quote(table)}";
        await using var pool = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(options.Get("warehouse")) { MaxPoolSize = concurrency }.ConnectionString);
        var columns = await DescribeAsync(pool, fromClause);

        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        var authorization = new AuthenticationHeaderValue("Bearer", options.Get("token"));

        // --only formula,tiles: just those pairs (the models and "tiles"); all of them by default.
        var only = options.Find("only")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        bool Wanted(string label) => only is null || only.Contains(label);

        var pairs = new List<Pair>();
        foreach (var widget in Widget.All.Where(widget => Wanted(widget.Model)))
        {
            var url = new Uri($"{options.Get("router").TrimEnd('/')}/api/v3/sql/carto_dw/model/{widget.Model}");
            var body = widget.Body(table);
            var (sql, parameters) = widget.Statement(fromClause, columns);
            var api = new Side("router", () => PostAsync(client, url, body, authorization));
            var direct = new Side("pool", () => QueryAsync(pool, sql, parameters));
            // The same statement, so the same answer, to the byte: maps-api sends PostgreSQL's JSON as it is.
            var (fromApi, fromPool) = (await api.Call(), await direct.Call());
            if (fromApi != fromPool)
            {
                Console.Error.WriteLine($"{widget.Model}: the API answered\n  {Shorten(fromApi)}\nthe pool\n  {Shorten(fromPool)}");
                return 1;
            }
            Console.WriteLine($"{widget.Model}: {Encoding.UTF8.GetByteCount(fromApi)} bytes of answer, the same from both");
            pairs.Add(new Pair(widget.Model, api, direct, Goal));
        }
        if (Wanted("tiles"))
        {
            var (quadbin, vector) = await SameAreaTiles.CreateAsync(client, options.Get("router"), authorization, table);
            pairs.Add(new Pair("tiles", quadbin, vector, Goal: null));
        }

        var warmUp = TimeSpan.FromSeconds(options.Int("warmup"));
        Console.WriteLine($"\n{requests} requests a pass, {concurrency} in flight, warm-up passes for {warmUp.TotalSeconds:F0} s at least; milliseconds");
        Console.WriteLine($"{"round",-8}{"model",-12}{"side",-8}{"p50",9}{"p99",9}{"req/s",9}");
        var passes = new Dictionary<(string Label, string Side), List<Pass>>();
        async Task RunRoundAsync(int round)
        {
            foreach (var pair in pairs)
            {
                // Which goes first alternates, so neither side always meets what the other left behind.
                foreach (var side in round % 2 == 1 ? [pair.Measured, pair.Reference] : new[] { pair.Reference, pair.Measured })
                {
                    var pass = await ClosedLoop.PassAsync(side.Call, requests, concurrency);
                    Console.WriteLine($"{(round == 0 ? "warm-up" : round.ToString(CultureInfo.InvariantCulture)),-8}{pair.Label,-12}{side.Name,-8}" +
                        $"{ClosedLoop.Ms(pass.P50),9}{ClosedLoop.Ms(pass.P99),9}{pass.PerSecond,9:F0}");
                    if (round > 0)
                    {
                        (passes.TryGetValue((pair.Label, side.Name), out var list) ? list : passes[(pair.Label, side.Name)] = []).Add(pass);
                    }
                }
            }
        }
        await ClosedLoop.RoundsAsync(warmUp, rounds, RunRoundAsync);

        Console.WriteLine($"\nmedian of {rounds} rounds (lowest–highest); the first side ÷ the second; widgets' goal ≤ {Goal}×");
        Console.WriteLine($"{"model",-12}{"side",-8}{"p50",24}{"p99",24}{"req/s",9}");
        foreach (var pair in pairs)
        {
            ClosedLoop.PrintPair(pair.Label, 12, (pair.Measured.Name, passes[(pair.Label, pair.Measured.Name)]),
                (pair.Reference.Name, passes[(pair.Label, pair.Reference.Name)]), pair.Goal);
        }
        return 0;
    }

    /// <summary>The source's columns, as maps-api describes them, so that the statement is built from the same.</summary>
    private static async Task<IReadOnlyList<QueryColumn>> DescribeAsync(NpgsqlDataSource pool, string fromClause)
    {
        await using var command = pool.CreateCommand($"SELECT * FROM {fromClause} AS source LIMIT 0");
        await using var reader = await command.ExecuteReaderAsync();
        var (columns, error) = QueryColumn.Describe(reader);
        return columns ?? throw new InvalidOperationException(error);
    }

    private static async Task<string> PostAsync(HttpClient client, Uri url, string body, AuthenticationHeaderValue authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = authorization;
        using var response = await client.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? answer : throw new InvalidOperationException($"{(int)response.StatusCode} from {url}: {answer}");
    }

    private static async Task<string> QueryAsync(NpgsqlDataSource pool, string sql, IReadOnlyList<NpgsqlParameter> parameters)
    {
        await using var command = pool.CreateCommand(sql);
        // A parameter belongs to one command at a time.
        command.Parameters.AddRange(parameters.Select(parameter => parameter.Clone()).ToArray());
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
