using System.Globalization;

namespace CartoSelfHosted.Platform.Tiles;

/// <summary>
/// How a table is laid out for tiles, zoom by zoom. These rules are what keeps every tile fast on real data:
/// <list type="bullet">
/// <item>Points: below <see cref="FullPointZoom"/>, a tile keeps at most one point per cell of a
/// <see cref="PointGridCells"/>×<see cref="PointGridCells"/> grid, the first in the table's order (so at most 4,096 points);
/// a point appears from the first zoom where it is its cell's first, and at <see cref="FullPointZoom"/> and beyond every
/// point is in its tiles. What this drops per zoom is reported in TileJSON as <c>fraction_dropped_per_zoom</c>.</item>
/// <item>Lines and polygons: repaired (<c>ST_MakeValid</c>: an invalid geometry is kept, repaired, never dropped),
/// simplified for each band of zooms to a quarter of a 256-pixel tile's pixel at the band's deepest zoom (Douglas-Peucker:
/// an island or sliver smaller than that is left out of the band's zooms, as it would not show), and subdivided
/// into pieces of at most <see cref="MaxVerticesPerPiece"/> vertices, so a tile reads only the pieces it touches.</item>
/// <item>Every tile: at most <see cref="MaxFeaturesPerTile"/> features; past that, the rest (in storage order) are left out.</item>
/// </list>
/// </summary>
public static class TilePyramid
{
    public const int MaxZoom = 24;

    public const int FullPointZoom = 14;

    public const int PointGridCells = 64;

    public const int MaxVerticesPerPiece = 1024;

    public const int MaxFeaturesPerTile = 50_000;

    /// <summary>Half the width of the Web Mercator world, in metres.</summary>
    public const double HalfWorld = 20037508.342789244;

    /// <summary>The zoom bands lines and polygons are simplified for; the last one keeps every vertex.</summary>
    public static IReadOnlyList<ZoomBand> Bands { get; } =
    [
        new(0, 2),
        new(3, 5),
        new(6, 8),
        new(9, 11),
        new(12, MaxZoom),
    ];

    public static string Literal(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Zooms <see cref="MinZoom"/> to <see cref="MaxZoom"/>, which share one simplification of a line or polygon.</summary>
public sealed record ZoomBand(int MinZoom, int MaxZoom)
{
    /// <summary>Null for the deepest band, which is not simplified.</summary>
    public double? Tolerance => MaxZoom >= TilePyramid.MaxZoom ? null : 2 * TilePyramid.HalfWorld / Math.Pow(2, MaxZoom) / 256 / 4;
}
