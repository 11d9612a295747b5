using System.Globalization;

namespace CartoSelfHosted.Platform.Tiles;

/// <summary>
/// CARTO's quadbin spatial index: a Web Mercator tile (z ≤ 26) as one 64-bit integer, so that cells of a table are a
/// bigint column and a tile's cells at a deeper resolution are one range of it. The bits, from the top: 0, the mode
/// (1: a cell), two bits the mode leaves at 0, the resolution z (5 bits), then the tile's x and y interleaved (y's bit
/// above x's), 2z bits, and the rest set to 1. Pure arithmetic: no extension in the database. The same numbers as
/// CARTO's <c>QUADBIN_FROMZXY</c> and its JavaScript <c>quadbin</c> library (<c>tileToCell</c>).
/// </summary>
public static class Quadbin
{
    public const int MaxResolution = 26;

    /// <summary>The bits of a cell below its resolution: the interleaved x and y, then the padding of 1s.</summary>
    private const long IndexBits = 0xF_FFFF_FFFF_FFFF;

    private const long Header = 0x4000_0000_0000_0000 | 1L << 59;

    private const long ResolutionBits = 0x1FL << 52;

    public static long FromTile(int z, long x, long y)
    {
        if (z is < 0 or > MaxResolution || x < 0 || y < 0 || x >= 1L << z || y >= 1L << z)
        {
            throw new ArgumentOutOfRangeException(nameof(z), $"{z}/{x}/{y} is not a tile of the quadbin pyramid (z from 0 to {MaxResolution}).");
        }
        var interleaved = Spread((ulong)x) | Spread((ulong)y) << 1;
        // The 2z bits of the tile's path sit at the top of the 52 index bits.
        var path = z == 0 ? 0 : (long)(interleaved << (52 - 2 * z));
        return Header | (long)z << 52 | path | Padding(z);
    }

    public static (int Z, long X, long Y) ToTile(long cell)
    {
        var z = Resolution(cell);
        var path = (ulong)((cell & IndexBits) >> (52 - 2 * z));
        return (z, Compact(path), Compact(path >> 1));
    }

    public static int Resolution(long cell) => (int)((cell & ResolutionBits) >> 52);

    /// <summary>A cell's hexadecimal form, as deck.gl's tile URLs (<c>{i}</c>) and CARTO's clients write it.</summary>
    public static string ToHex(long cell) => cell.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>A cell from its hexadecimal form; false for anything that is not one (another mode, a bad padding…).</summary>
    public static bool TryParseHex(string text, out long cell)
    {
        cell = 0;
        if (text.Length is 0 or > 16 || !long.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value) ||
            value < 0 || (value & ~(IndexBits | ResolutionBits)) != Header || Resolution(value) > MaxResolution)
        {
            return false;
        }
        var (z, x, y) = ToTile(value);
        if (FromTile(z, x, y) != value)
        {
            return false;
        }
        cell = value;
        return true;
    }

    /// <summary>The first and last of a cell's descendants at <paramref name="resolution"/> (at least its own).</summary>
    public static (long First, long Last) DescendantRange(long cell, int resolution)
    {
        var z = Resolution(cell);
        if (resolution < z || resolution > MaxResolution)
        {
            throw new ArgumentOutOfRangeException(nameof(resolution), $"Descendants of a cell of resolution {z} are from {z} to {MaxResolution}.");
        }
        var first = (cell & ~ResolutionBits & ~Padding(z)) | (long)resolution << 52 | Padding(resolution);
        return (first, first | (Padding(z) & ~Padding(resolution)));
    }

    /// <summary>
    /// SQL for the ancestor at <paramref name="resolution"/> of the cell <paramref name="cellSql"/> (a bigint of a deeper or
    /// equal resolution): its resolution replaced, and the bits below it set, as CARTO's <c>QUADBIN_TOPARENT</c>.
    /// </summary>
    public static string AncestorSql(string cellSql, int resolution) =>
        $"(({cellSql} & ({~ResolutionBits})::bigint) | {(long)resolution << 52}::bigint | {Padding(resolution)}::bigint)";

    /// <summary>
    /// SQL for the Web Mercator envelope (EPSG:3857, <c>ST_TileEnvelope</c>) of the cell <paramref name="cellSql"/> (a
    /// bigint of any resolution), its x and y taken back out of the interleaved bits one by one.
    /// </summary>
    public static string EnvelopeSql(string cellSql)
    {
        var z = $"least(({cellSql} >> 52) & 31, {MaxResolution})";
        var path = $"(({cellSql} & {IndexBits}::bigint) >> (52 - 2 * {z}::int))";
        // Bit i of x is bit 2i of the path, bit i of y bit 2i + 1.
        string Coordinate(int offset) =>
            "(" + string.Join(" | ", Enumerable.Range(0, MaxResolution).Select(i => $"(({path} >> {i + offset}) & {1L << i})")) + ")";
        return $"ST_TileEnvelope({z}::int, {Coordinate(0)}::int, {Coordinate(1)}::int)";
    }

    private static long Padding(int z) => IndexBits >> (2 * z);

    /// <summary>A 32-bit number's bits spread to the even bits of a 64-bit one.</summary>
    private static ulong Spread(ulong value)
    {
        value &= 0xFFFF_FFFF;
        value = (value | value << 16) & 0x0000_FFFF_0000_FFFF;
        value = (value | value << 8) & 0x00FF_00FF_00FF_00FF;
        value = (value | value << 4) & 0x0F0F_0F0F_0F0F_0F0F;
        value = (value | value << 2) & 0x3333_3333_3333_3333;
        return (value | value << 1) & 0x5555_5555_5555_5555;
    }

    /// <summary>The even bits of a 64-bit number gathered into a 32-bit one (<see cref="Spread"/> undone).</summary>
    private static long Compact(ulong value)
    {
        value &= 0x5555_5555_5555_5555;
        value = (value | value >> 1) & 0x3333_3333_3333_3333;
        value = (value | value >> 2) & 0x0F0F_0F0F_0F0F_0F0F;
        value = (value | value >> 4) & 0x00FF_00FF_00FF_00FF;
        value = (value | value >> 8) & 0x0000_FFFF_0000_FFFF;
        return (long)((value | value >> 16) & 0xFFFF_FFFF);
    }
}
