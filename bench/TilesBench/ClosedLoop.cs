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
}
