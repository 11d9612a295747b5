using System.Buffers.Binary;
using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.Platform.Imports;

/// <summary>A 2D point as the EWKB an import writes: little endian, with SRID 4326.</summary>
internal static class PointEwkb
{
    private const uint PointWithSrid = 1 | 0x2000_0000;
    private const int Srid = 4326;

    public static GeometryValue Encode(double x, double y)
    {
        var ewkb = new byte[25];
        ewkb[0] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(ewkb.AsSpan(1), PointWithSrid);
        BinaryPrimitives.WriteInt32LittleEndian(ewkb.AsSpan(5), Srid);
        BinaryPrimitives.WriteDoubleLittleEndian(ewkb.AsSpan(9), x);
        BinaryPrimitives.WriteDoubleLittleEndian(ewkb.AsSpan(17), y);
        return new GeometryValue(ewkb, WkbGeometryType.Point);
    }
}
