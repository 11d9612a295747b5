using System.Buffers;

namespace CartoSelfHosted.Platform.Geometry;

/// <summary>
/// Hexadecimal WKB or EWKB, as PostGIS prints a geometry as text (<c>0101000020E6100000…</c>), written again as EWKB.
/// </summary>
public static class WkbHex
{
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789ABCDEFabcdef");

    private const string OutOfRangeHint =
        "the data is probably in a projected coordinate system; geometries are imported as WGS 84 longitude/latitude (SRID 4326), without reprojection.";

    /// <summary>
    /// Checks <paramref name="hex"/> (either byte order, EWKB flags or ISO type codes, an optional <c>\x</c> prefix as
    /// bytea prints) and writes it to <paramref name="output"/> little-endian and 2D: Z and M are dropped.
    /// </summary>
    /// <exception cref="FormatException">
    /// Not hexadecimal; not WKB (an unknown byte order or type, counts beyond its length, bytes after its end); a
    /// curve or surface; an SRID other than 4326; coordinates outside longitude/latitude; a line of 1 position, a
    /// short or open ring.
    /// </exception>
    public static WkbGeometryType ToEwkb(ReadOnlySpan<char> hex, EwkbWriter output)
    {
        hex = hex.Trim();
        if (hex.StartsWith(@"\x", StringComparison.OrdinalIgnoreCase))
        {
            hex = hex[2..];
        }
        if (hex.Length % 2 != 0)
        {
            throw new FormatException($"hex WKB has an odd number of digits ({hex.Length}): it is cut short or not hexadecimal.");
        }
        var bytes = ArrayPool<byte>.Shared.Rent(hex.Length / 2);
        try
        {
            var wkb = bytes.AsSpan(0, hex.Length / 2);
            if (Convert.FromHexString(hex, wkb, out _, out _) != OperationStatus.Done)
            {
                var notHex = hex.IndexOfAnyExcept(HexDigits);
                throw new FormatException($"hex WKB has '{hex[notHex]}' at character {notHex + 1}: it is not hexadecimal.");
            }
            var reader = new Ewkb.Reader(wkb);
            output.Clear();
            var type = Rewrite(ref reader, output, outermost: true);
            if (reader.Remaining > 0)
            {
                throw new FormatException($"WKB goes on for {reader.Remaining} bytes after the geometry ends: it is not one geometry.");
            }
            return type;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static WkbGeometryType Rewrite(ref Ewkb.Reader reader, EwkbWriter output, bool outermost)
    {
        var header = reader.ReadHeader();
        if (outermost && header.Srid is { } srid && srid != EwkbWriter.Srid)
        {
            throw new FormatException(
                $"SRID {srid} is not supported: geometries are imported as WGS 84 longitude/latitude (SRID 4326), without reprojection.");
        }
        if (header.Type is < 1 or > 7)
        {
            throw new FormatException(
                $"WKB geometry type {header.Type} (a curve, surface or TIN) is not supported; convert it with ST_CurveToLine or ST_Dump first.");
        }
        var type = (WkbGeometryType)header.Type;
        output.WriteHeader(type, outermost);
        switch (type)
        {
            case WkbGeometryType.Point:
                {
                    var (x, y) = ReadPosition(ref reader, header);
                    if (double.IsNaN(x) && double.IsNaN(y))
                    {
                        output.WriteEmptyPoint();
                    }
                    else
                    {
                        output.WritePosition(x, y, OutOfRangeHint);
                    }
                    break;
                }
            case WkbGeometryType.LineString:
                {
                    var countAt = output.ReserveCount();
                    output.EndLineString(countAt, RewritePositions(ref reader, output, header));
                    break;
                }
            case WkbGeometryType.Polygon:
                {
                    var rings = reader.ReadCount();
                    output.WriteCount(output.ReserveCount(), rings);
                    for (var ring = 0; ring < rings; ring++)
                    {
                        var countAt = output.ReserveCount();
                        output.EndRing(countAt, RewritePositions(ref reader, output, header));
                    }
                    break;
                }
            default:
                {
                    var members = reader.ReadCount();
                    output.WriteCount(output.ReserveCount(), members);
                    for (var member = 0; member < members; member++)
                    {
                        var memberType = Rewrite(ref reader, output, outermost: false);
                        if (type != WkbGeometryType.GeometryCollection && memberType != type - 3)
                        {
                            throw new FormatException($"a WKB {type} holds a {memberType}.");
                        }
                    }
                    break;
                }
        }
        return type;
    }

    private static int RewritePositions(ref Ewkb.Reader reader, EwkbWriter output, Ewkb.Header header)
    {
        var count = reader.ReadCount();
        for (var position = 0; position < count; position++)
        {
            var (x, y) = ReadPosition(ref reader, header);
            output.WritePosition(x, y, OutOfRangeHint);
        }
        return count;
    }

    private static (double X, double Y) ReadPosition(ref Ewkb.Reader reader, Ewkb.Header header)
    {
        var position = (reader.ReadDouble(), reader.ReadDouble());
        if (header.HasZ)
        {
            reader.ReadDouble();
        }
        if (header.HasM)
        {
            reader.ReadDouble();
        }
        return position;
    }
}
