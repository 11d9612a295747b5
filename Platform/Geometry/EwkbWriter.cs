using System.Buffers.Binary;
using System.Globalization;

namespace CartoSelfHosted.Platform.Geometry;

/// <summary>
/// Where the encoders (<see cref="GeoJsonGeometry"/>, <see cref="Wkt"/>, <see cref="WkbHex"/>) write: little-endian
/// 2D EWKB with SRID 4326 on the outermost geometry, the form PostGIS's binary COPY takes for a geometry column.
/// One writer is reused from geometry to geometry (each encoder starts by clearing it), so encoding many geometries
/// allocates only the <see cref="ToArray"/> copies. It also holds the checks every encoder shares: coordinates in
/// longitude/latitude range, lines of 2 positions or more, rings of 4 or more that end where they start.
/// </summary>
public sealed class EwkbWriter
{
    /// <summary>WGS 84 longitude/latitude: the only SRID written (no encoder reprojects).</summary>
    public const int Srid = 4326;

    private const uint SridFlag = 0x2000_0000;

    /// <summary>Room for rounding in the writer that made the file (a longitude of 180.0000000001).</summary>
    private const double RangeTolerance = 1e-9;

    private byte[] _buffer = new byte[256];
    private int _length;

    /// <summary>A copy of the geometry last written, to keep.</summary>
    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    internal void Clear() => _length = 0;

    /// <summary>A geometry's byte order and type; <paramref name="outermost"/> also carries the SRID (members never do, as in PostGIS's EWKB).</summary>
    internal void WriteHeader(WkbGeometryType type, bool outermost)
    {
        var span = Reserve(outermost ? 9 : 5);
        span[0] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(span[1..], (uint)type | (outermost ? SridFlag : 0));
        if (outermost)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[5..], Srid);
        }
    }

    /// <summary>Room for a count not known yet (JSON and WKT say how many elements only by ending the list); <see cref="WriteCount"/> fills it.</summary>
    internal int ReserveCount()
    {
        var at = _length;
        Reserve(4);
        return at;
    }

    internal void WriteCount(int at, int count) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(at), count);

    /// <summary>
    /// One position, refused when it is not longitude/latitude. <paramref name="outOfRangeHint"/> finishes the message
    /// with what the input's format says about coordinate systems.
    /// </summary>
    internal void WritePosition(double x, double y, string outOfRangeHint)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y))
        {
            throw new FormatException($"coordinate ({Format(x)}, {Format(y)}) is not a pair of finite numbers.");
        }
        if (!(Math.Abs(x) <= 180 + RangeTolerance && Math.Abs(y) <= 90 + RangeTolerance))
        {
            throw new FormatException(
                $"coordinate ({Format(x)}, {Format(y)}) is outside longitude -180..180 / latitude -90..90: {outOfRangeHint}");
        }
        var span = Reserve(16);
        // + 0.0 turns -0 into 0: PostGIS compares a ring's first and last points byte for byte, and -0 is not 0 there.
        BinaryPrimitives.WriteDoubleLittleEndian(span, x + 0.0);
        BinaryPrimitives.WriteDoubleLittleEndian(span[8..], y + 0.0);
    }

    /// <summary>
    /// A single geometry written here (<paramref name="ewkb"/>, of <paramref name="single"/>: a point, line or polygon)
    /// as a one-part multi geometry of its kind, so that a column of multi geometries takes it.
    /// </summary>
    public static byte[] AsMulti(ReadOnlySpan<byte> ewkb, WkbGeometryType single)
    {
        // Outermost header: byte order, type, SRID (9 bytes); the part repeats byte order and type, without the SRID.
        var multi = new byte[9 + 4 + 5 + (ewkb.Length - 9)];
        multi[0] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(multi.AsSpan(1), (uint)single + 3 | SridFlag);
        BinaryPrimitives.WriteInt32LittleEndian(multi.AsSpan(5), Srid);
        BinaryPrimitives.WriteInt32LittleEndian(multi.AsSpan(9), 1);
        multi[13] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(multi.AsSpan(14), (uint)single);
        ewkb[9..].CopyTo(multi.AsSpan(18));
        return multi;
    }

    /// <summary>A point from two numbers (a CSV's longitude and latitude columns), as the whole geometry.</summary>
    /// <exception cref="FormatException">The numbers are not a longitude and a latitude.</exception>
    public void WritePoint(double longitude, double latitude)
    {
        Clear();
        WriteHeader(WkbGeometryType.Point, outermost: true);
        WritePosition(longitude, latitude, "longitudes and latitudes are degrees.");
    }

    /// <summary>An empty point: WKB has no count for a point, so PostGIS writes POINT EMPTY as NaN coordinates.</summary>
    internal void WriteEmptyPoint()
    {
        var span = Reserve(16);
        BinaryPrimitives.WriteDoubleLittleEndian(span, double.NaN);
        BinaryPrimitives.WriteDoubleLittleEndian(span[8..], double.NaN);
    }

    /// <summary>Ends a LineString's positions, written after the count reserved at <paramref name="countAt"/>.</summary>
    internal void EndLineString(int countAt, int positions)
    {
        if (positions == 1)
        {
            throw new FormatException("a LineString has 1 position: it needs at least 2 (or none, for an empty one).");
        }
        WriteCount(countAt, positions);
    }

    /// <summary>Ends a polygon ring's positions, written after the count reserved at <paramref name="countAt"/>: PostGIS refuses short or open rings.</summary>
    internal void EndRing(int countAt, int positions)
    {
        if (positions < 4)
        {
            throw new FormatException($"a polygon ring has {positions} position{(positions == 1 ? "" : "s")}: it needs at least 4, the last the same as the first.");
        }
        var first = _buffer.AsSpan(countAt + 4, 16);
        var last = _buffer.AsSpan(_length - 16, 16);
        if (!first.SequenceEqual(last))
        {
            throw new FormatException(
                $"a polygon ring starts at {FormatPosition(first)} and ends at {FormatPosition(last)}: a ring must end where it starts (closed).");
        }
        WriteCount(countAt, positions);
    }

    private Span<byte> Reserve(int length)
    {
        if (_length + length > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + length));
        }
        var span = _buffer.AsSpan(_length, length);
        _length += length;
        return span;
    }

    private static string FormatPosition(ReadOnlySpan<byte> position) =>
        $"({Format(BinaryPrimitives.ReadDoubleLittleEndian(position))}, {Format(BinaryPrimitives.ReadDoubleLittleEndian(position[8..]))})";

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
