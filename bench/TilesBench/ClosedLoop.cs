using System.Diagnostics;
using System.Globalization;

namespace CartoSelfHosted.TilesBench;

/// <summary>One pass of calls: their latencies' p50 and p99 in milliseconds, and calls a second.</summary>
public sealed record Pass(double P50, double P99, double PerSecond);

/// <summary>
/// A closed loop: a fixed number of calls, a fixed number in flight at all times, each timed from its start to its end
/// (for an HTTP call, the answer's last byte); and how the benchmarks summarise rounds of such passes.
/// </summary>
public static class ClosedLoop
{
    public static async Task<Pass> PassAsync(Func<Task> call, int calls, int concurrency)
    {
        var latencies = new double[calls];
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < calls)
            {
                var sent = Stopwatch.GetTimestamp();
                await call();
                latencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            }
        })));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Array.Sort(latencies);
        return new Pass(LoadRunner.Percentile(latencies, 0.50), LoadRunner.Percentile(latencies, 0.99), calls / seconds);
    }

    /// <summary>
    /// Round 0, the warm-up, repeated until it has lasted <paramref name="warmUp"/>, then rounds 1 to <paramref name="rounds"/>.
    /// A service's JIT recompiles its hot methods, optimized, over its first minutes under load: measured with counters,
    /// router-http and maps-api each spent half a core to a core compiling through the first passes of the widgets'
    /// benchmark, and little by the fifth minute; a warm-up of one pass measured the services while they still compiled.
    /// </summary>
    public static async Task RoundsAsync(TimeSpan warmUp, int rounds, Func<int, Task> round)
    {
        var warmUpClock = Stopwatch.StartNew();
        do
        {
            await round(0);
        }
        while (warmUpClock.Elapsed < warmUp);
        for (var measured = 1; measured <= rounds; measured++)
        {
            await round(measured);
        }
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The median of rounds and, in brackets, the lowest and the highest: "12.3 (11.9–14.0)".</summary>
    public static string Spread(IEnumerable<double> values, string format = "F1")
    {
        var list = values.ToList();
        return $"{Ms(Median(list), format)} ({Ms(list.Min(), format)}–{Ms(list.Max(), format)})";
    }

    public static string Ms(double value, string format = "F1") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>
    /// A pair's rounds, a line a side (the medians of p50, p99 and calls a second, with their spread), then measured ÷
    /// reference for p50 and p99, against the goal where there is one (PASS or MISS).
    /// </summary>
    public static void PrintPair(string label, int labelWidth, (string Name, List<Pass> Passes) measured,
        (string Name, List<Pass> Passes) reference, double? goal)
    {
        foreach (var (name, passes) in new[] { measured, reference })
        {
            Console.WriteLine($"{label.PadRight(labelWidth)}{name,-8}{Spread(passes.Select(pass => pass.P50)),24}" +
                $"{Spread(passes.Select(pass => pass.P99)),24}{Median(passes.Select(pass => pass.PerSecond)),9:F0}");
        }
        var p50 = Median(measured.Passes.Select(pass => pass.P50)) / Median(reference.Passes.Select(pass => pass.P50));
        var p99 = Median(measured.Passes.Select(pass => pass.P99)) / Median(reference.Passes.Select(pass => pass.P99));
        var verdict = goal is { } bar ? p50 <= bar && p99 <= bar ? "PASS" : "MISS" : "";
        Console.WriteLine($"{label.PadRight(labelWidth)}{"ratio",-8}{p50,23:F2}×{p99,23:F2}×  {verdict}");
    }
}
