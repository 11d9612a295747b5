using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace CartoSelfHosted.TilesBench;

/// <summary>
/// Every tile of the list once, with N requests in flight at all times (N workers taking the next tile as each finishes),
/// on one HTTP/1.1 keep-alive connection per worker; each request is timed from sending to the last byte read. The same
/// runner measures every pass, so the passes differ only in what answers. No Accept-Encoding is sent unless
/// <c>--accept-encoding</c> names one, so every other pass moves the same bytes.
/// </summary>
public static class LoadRunner
{
    /// <summary>The bar for one cold tile; the runner counts the tiles over it.</summary>
    public const double SlowTileMs = 150;

    private const int WarmupRequests = 2_000;

    public static async Task<int> RunAsync(Options options)
    {
        // --repeat: the list several times over in one pass, for passes too quick to time on one (the warm ones).
        var list = (await File.ReadAllLinesAsync(options.Get("list"))).Where(line => line.Length > 0).ToArray();
        var tiles = Enumerable.Repeat(list, options.Find("repeat") is { } repeat ? int.Parse(repeat, CultureInfo.InvariantCulture) : 1)
            .SelectMany(tile => tile).ToArray();
        var template = options.Get("template");
        var concurrency = options.Int("concurrency");
        var token = options.Find("token");
        var saveDirectory = options.Find("save");
        var urls = tiles.Select(tile => tile.Split('/') is [var z, var x, var y]
            ? template.Replace("{z}", z, StringComparison.Ordinal).Replace("{x}", x, StringComparison.Ordinal).Replace("{y}", y, StringComparison.Ordinal)
            : throw new FormatException($"'{tile}' is not z/x/y")).ToArray();

        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        var authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token);
        if (options.Find("accept-encoding") is { } acceptEncoding)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }

        // The runner's own start (its JIT, its connections) is not the server's time: it first sends requests to the
        // same host and port that reach no tile (a health or missing path), so they warm no cache.
        if (options.Find("warmup") is { } warmupUrl)
        {
            await RunAsync(client, authorization, Enumerable.Repeat(warmupUrl, WarmupRequests).ToArray(), concurrency,
                (_, _, _, _) => Task.CompletedTask);
        }

        var latencies = new double[urls.Length];
        var statuses = new int[urls.Length];
        long bytes = 0;
        var seconds = await RunAsync(client, authorization, urls, concurrency, async (i, status, milliseconds, body) =>
        {
            latencies[i] = milliseconds;
            statuses[i] = status;
            Interlocked.Add(ref bytes, body.Length);
            if (saveDirectory is not null && status == 200 && body.Length > 0)
            {
                var path = Path.Combine(saveDirectory, tiles[i] + ".mvt");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllBytesAsync(path, body.ToArray());
            }
        });

        // A tile is 200 (MVT) or 204 (no feature); anything else is an error, and the first few are shown.
        var errors = Enumerable.Range(0, urls.Length).Where(i => statuses[i] is not (200 or 204)).ToList();
        foreach (var i in errors.Take(5))
        {
            Console.Error.WriteLine($"  error: {statuses[i]} for {urls[i]}");
        }

        if (options.Find("results") is { } results)
        {
            var sorted = latencies.Order().ToArray();
            var slowest = Enumerable.Range(0, urls.Length).OrderByDescending(i => latencies[i]).Take(5)
                .Select(i => $"{tiles[i]}={Ms(latencies[i])}");
            var z0 = Array.IndexOf(tiles, "0/0/0");
            var line = string.Join('\t',
                options.Get("table"), options.Get("pass"), concurrency.ToString(CultureInfo.InvariantCulture),
                urls.Length.ToString(CultureInfo.InvariantCulture), seconds.ToString("F3", CultureInfo.InvariantCulture),
                errors.Count.ToString(CultureInfo.InvariantCulture), bytes.ToString(CultureInfo.InvariantCulture),
                Ms(latencies.Average()), Ms(Percentile(sorted, 0.50)), Ms(Percentile(sorted, 0.99)), Ms(sorted[^1]),
                z0 < 0 ? "-" : Ms(latencies[z0]), latencies.Count(ms => ms >= SlowTileMs).ToString(CultureInfo.InvariantCulture),
                string.Join(' ', slowest));
            await File.AppendAllTextAsync(results, line + "\n");
        }
        return errors.Count == 0 ? 0 : 1;
    }

    /// <summary>
    /// Every URL once, <paramref name="concurrency"/> at a time; returns the seconds it took. Status -1 is a failed
    /// request. Each worker reads bodies into a buffer of its own, reused (<paramref name="done"/> sees the body only
    /// until it returns): tiles of 100 KB and more would otherwise be large-object allocations, whose collections
    /// would be the runner's pauses in the figures.
    /// </summary>
    private static async Task<double> RunAsync(HttpClient client, AuthenticationHeaderValue? authorization, string[] urls, int concurrency,
        Func<int, int, double, ReadOnlyMemory<byte>, Task> done)
    {
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var buffer = new byte[1 << 20];
            int i;
            while ((i = Interlocked.Increment(ref next)) < urls.Length)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, urls[i]);
                request.Headers.Authorization = authorization;
                var sent = Stopwatch.GetTimestamp();
                int status;
                var length = 0;
                try
                {
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    await using var body = await response.Content.ReadAsStreamAsync();
                    int read;
                    while ((read = await body.ReadAsync(buffer.AsMemory(length))) > 0)
                    {
                        length += read;
                        if (length == buffer.Length)
                        {
                            Array.Resize(ref buffer, buffer.Length * 2);
                        }
                    }
                    status = (int)response.StatusCode;
                }
                catch (HttpRequestException ex)
                {
                    Console.Error.WriteLine($"{urls[i]}: {ex.Message}");
                    (status, length) = (-1, 0);
                }
                await done(i, status, Stopwatch.GetElapsedTime(sent).TotalMilliseconds, buffer.AsMemory(0, length));
            }
        })).ToArray();
        await Task.WhenAll(workers);
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double q) => sorted[Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1)];

    private static string Ms(double value) => value.ToString("F2", CultureInfo.InvariantCulture);
}
