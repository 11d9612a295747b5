using System.Diagnostics;
using System.IO.Compression;

namespace CartoSelfHosted.TilesBench;

/// <summary>
/// What compressing a tile once costs, wherever it is done: every tile saved by a pass (<c>run --save</c>) gzipped at
/// the level Varnish's <c>do_gzip</c> uses (its <c>gzip_level</c>, 6 by default) and at the fastest level, the one
/// ASP.NET Core's response compression would use in maps-api. Timed over several rounds, the fastest kept, so the
/// figure is the work itself and not what else ran on the machine.
/// </summary>
public static class CompressionCost
{
    private const int Rounds = 5;

    private static readonly (string Label, CompressionLevel Level)[] Levels =
    [
        ("gzip level 6 (Varnish's do_gzip)", CompressionLevel.Optimal),
        ("gzip level 1 (fastest)", CompressionLevel.Fastest),
    ];

    public static int Print(string directory, string table)
    {
        var tiles = Directory.EnumerateFiles(directory, "*.mvt", SearchOption.AllDirectories).Select(File.ReadAllBytes).ToList();
        if (tiles.Count == 0)
        {
            Console.Error.WriteLine($"no tile under {directory}");
            return 1;
        }
        var rawBytes = tiles.Sum(tile => (long)tile.Length);
        Console.WriteLine($"  {table}: {tiles.Count} tiles, {rawBytes / tiles.Count} B a tile uncompressed");
        using var output = new MemoryStream();
        foreach (var (label, level) in Levels)
        {
            var fastest = TimeSpan.MaxValue;
            long compressedBytes = 0;
            for (var round = 0; round < Rounds; round++)
            {
                compressedBytes = 0;
                var clock = Stopwatch.StartNew();
                foreach (var tile in tiles)
                {
                    output.SetLength(0);
                    using (var gzip = new GZipStream(output, level, leaveOpen: true))
                    {
                        gzip.Write(tile);
                    }
                    compressedBytes += output.Length;
                }
                fastest = TimeSpan.FromTicks(Math.Min(fastest.Ticks, clock.Elapsed.Ticks));
            }
            Console.WriteLine($"    {label,-34} {fastest.TotalMicroseconds / tiles.Count,8:F1} µs a tile  " +
                $"{compressedBytes / tiles.Count,7} B a tile ({(double)compressedBytes / rawBytes:P0} of uncompressed)");
        }
        return 0;
    }
}
