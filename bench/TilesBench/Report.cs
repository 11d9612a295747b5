using System.Globalization;

namespace CartoSelfHosted.TilesBench;

/// <summary>
/// The table of every pass per source table (the median round by mean time per tile, when a pass ran more than once)
/// and the issue's four goals, each figure next to its reference of the same run.
/// </summary>
public static class Report
{
    private static readonly (string Pass, string Label)[] Passes =
    [
        ("postgis", "PostGIS alone (pool + same SQL)"),
        ("maps-api", "maps-api directly, Redis off"),
        ("router-cold", "router + Varnish, cold"),
        ("router-warm", "router + Varnish, warm"),
        ("nginx-router-warm", "former nginx router + Varnish, warm"),
        ("router-warm-gzip", "router + Varnish, warm, gzip as browsers ask"),
        ("nginx", "nginx, same bytes as static files"),
        ("router-cold-1", "router + Varnish, cold, one at a time"),
        ("router-warm-1", "router + Varnish, warm, one at a time"),
    ];

    public static int Print(string resultsPath)
    {
        var runs = File.ReadAllLines(resultsPath).Where(line => line.Length > 0).Select(Run.Parse).ToList();
        var tables = runs.Select(run => run.Table).Distinct().ToList();
        var chosen = runs.GroupBy(run => (run.Table, run.Pass)).ToDictionary(group => group.Key, group => Median(group.ToList()));

        foreach (var table in tables)
        {
            Console.WriteLine();
            Console.WriteLine($"{table,-52} {"conc.",5} {"requests",8} {"tiles/s",9} {"mean ms",8} {"p50",7} {"p99",7} {"max",8} {"errors",6} {"bytes/tile",10}");
            foreach (var (pass, label) in Passes)
            {
                if (chosen.TryGetValue((table, pass), out var run))
                {
                    var rounds = runs.Count(r => r.Table == table && r.Pass == pass);
                    var name = rounds > 1 ? $"{label}, median of {rounds}" : label;
                    Console.WriteLine($"  {name,-50} {run.Concurrency,5} {run.Tiles,8} {run.TilesPerSecond,9:F0} {run.Mean,8:F2} {run.P50,7:F2} {run.P99,7:F2} " +
                        $"{run.Max,8:F1} {run.Errors,6} {run.Bytes / run.Tiles,10}");
                    if (rounds > 1)
                    {
                        // Every round, so the spread between them shows.
                        Console.WriteLine($"    rounds: {string.Join("; ", runs.Where(r => r.Table == table && r.Pass == pass)
                            .Select(r => $"{r.TilesPerSecond:F0} tiles/s, mean {r.Mean:F2}, p99 {r.P99:F2} ms"))}");
                    }
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine("goals (issues \"Maps API tiles\" and \"router-http on YARP\")");
        foreach (var table in tables)
        {
            var postgis = chosen.GetValueOrDefault((table, "postgis"));
            var maps = chosen.GetValueOrDefault((table, "maps-api"));
            var warm = chosen.GetValueOrDefault((table, "router-warm"));
            var nginx = chosen.GetValueOrDefault((table, "nginx"));
            var cold = chosen.GetValueOrDefault((table, "router-cold-1"));
            Console.WriteLine($"  {table}");
            if (postgis is not null && maps is not null)
            {
                var ratio = maps.Mean / postgis.Mean;
                Goal("maps-api cache-off / PostGIS alone, time per tile", $"{ratio:F2}x", "≤ 1.15x", ratio <= 1.15,
                    $"{maps.Mean:F2} vs {postgis.Mean:F2} ms; by tiles/s {postgis.TilesPerSecond / maps.TilesPerSecond:F2}x");
            }
            if (warm is not null && nginx is not null)
            {
                var ratio = warm.TilesPerSecond / nginx.TilesPerSecond;
                Goal("warm router tiles/s / nginx static tiles/s", $"{ratio:F2}x", "≥ 0.5x", ratio >= 0.5,
                    $"{warm.TilesPerSecond:F0} vs {nginx.TilesPerSecond:F0}");
            }
            if (warm is not null && chosen.GetValueOrDefault((table, "nginx-router-warm")) is { } nginxRouter)
            {
                var ratio = warm.TilesPerSecond / nginxRouter.TilesPerSecond;
                Goal("warm YARP router tiles/s / former nginx router", $"{ratio:F2}x", "≥ 0.8x", ratio >= 0.8,
                    $"{warm.TilesPerSecond:F0} vs {nginxRouter.TilesPerSecond:F0}; p99 {warm.P99:F2} vs {nginxRouter.P99:F2} ms");
            }
            if (warm is not null && chosen.GetValueOrDefault((table, "router-warm-gzip")) is { } gzip)
            {
                Console.WriteLine($"    gzip (stored so by Varnish) against uncompressed, warm: {gzip.Bytes / gzip.Tiles} vs {warm.Bytes / warm.Tiles} " +
                    $"bytes a tile ({(double)gzip.Bytes / warm.Bytes:P0}), mean {gzip.Mean:F2} vs {warm.Mean:F2} ms, " +
                    $"{gzip.TilesPerSecond:F0} vs {warm.TilesPerSecond:F0} tiles/s");
            }
            if (cold is not null)
            {
                Goal("slowest cold tile, one at a time", $"{cold.Max:F1} ms", "< 150 ms", cold.OverSlow == 0,
                    $"{cold.OverSlow} of {cold.Tiles} at 150 ms or more; z0 {cold.Z0} ms");
                Console.WriteLine($"      slowest: {cold.Slowest}");
            }
            foreach (var run in new[] { warm, chosen.GetValueOrDefault((table, "router-warm-1")) }.OfType<Run>())
            {
                Goal($"p99 of warm tiles, concurrency {run.Concurrency}", $"{run.P99:F2} ms", "< 5 ms", run.P99 < 5, null);
            }
        }
        return 0;
    }

    private static void Goal(string label, string value, string goal, bool met, string? detail) =>
        Console.WriteLine($"    {label,-50} {value,9}   goal {goal,-8} {(met ? "met" : "NOT MET"),-8}{(detail is null ? "" : $" ({detail})")}".TrimEnd());

    private static Run Median(List<Run> runs) => runs.OrderBy(run => run.Mean).ElementAt((runs.Count - 1) / 2);

    private sealed record Run(string Table, string Pass, int Concurrency, int Tiles, double Seconds, int Errors, long Bytes,
        double Mean, double P50, double P99, double Max, string Z0, int OverSlow, string Slowest)
    {
        public double TilesPerSecond => Tiles / Seconds;

        public static Run Parse(string line)
        {
            var f = line.Split('\t');
            return new Run(f[0], f[1], Int(f[2]), Int(f[3]), Double(f[4]), Int(f[5]), long.Parse(f[6], CultureInfo.InvariantCulture),
                Double(f[7]), Double(f[8]), Double(f[9]), Double(f[10]), f[11], Int(f[12]), f[13]);

            static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);
            static double Double(string value) => double.Parse(value, CultureInfo.InvariantCulture);
        }
    }
}
