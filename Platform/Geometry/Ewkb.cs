using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text.Json;

namespace CartoSelfHosted.Platform.Geometry;

/// <summary>PostGIS's extended well-known binary (EWKB; plain ISO WKB reads too).</summary>
public static class Ewkb
{
    private const uint SridFlag = 0x2000_0000;
    private const uint ZFlag = 0x8000_0000;
    private const uint MFlag = 0x4000_0000;

    /// <summary>Writes <paramref name="ewkb"/> as a GeoJSON geometry object.</summary>
    /// <exception cref="FormatException">The bytes are not WKB, or hold a type GeoJSON cannot express.</exception>
    public static void WriteGeoJson(Utf8JsonWriter writer, ReadOnlySpan<byte> ewkb)
    {
        var reader = new Reader(ewkb);
        WriteGeometry(writer, ref reader);
    }

    private static void WriteGeometry(Utf8JsonWriter writer, ref Reader reader)
    {
        var header = reader.ReadHeader();
        writer.WriteStartObject();
        writer.WriteString("type"u8, header.Type switch
        {
            1 => "Point",
            2 => "LineString",
            3 => "Polygon",
            4 => "MultiPoint",
            5 => "MultiLineString",
            6 => "MultiPolygon",
            7 => "GeometryCollection",
            _ => throw new FormatException(
                $"WKB geometry type {header.Type} (a curve, surface or TIN) has no GeoJSON form; convert it with ST_CurveToLine or ST_Dump first."),
        });
        if (header.Type == 7)
        {
            writer.WritePropertyName("geometries"u8);
            writer.WriteStartArray();
            for (var count = reader.ReadCount(); count > 0; count--)
            {
                WriteGeometry(writer, ref reader);
            }
            writer.WriteEndArray();
        }
        else
        {
            writer.WritePropertyName("coordinates"u8);
            WriteCoordinates(writer, ref reader, header);
        }
        writer.WriteEndObject();
    }

    private static void WriteCoordinates(Utf8JsonWriter writer, ref Reader reader, Header header)
    {
        switch (header.Type)
        {
            case 1:
                WritePoint(writer, ref reader, header, emptyAsEmptyArray: true);
                break;
            case 2:
                WritePointList(writer, ref reader, header);
                break;
            case 3:
                writer.WriteStartArray();
                for (var rings = reader.ReadCount(); rings > 0; rings--)
                {
                    WritePointList(writer, ref reader, header);
                }
                writer.WriteEndArray();
                break;
            default:
                // A multi geometry: each member is a whole WKB geometry of the single type, with its own header.
                writer.WriteStartArray();
                for (var members = reader.ReadCount(); members > 0; members--)
                {
                    var member = reader.ReadHeader();
                    if (member.Type != header.Type - 3)
                    {
                        throw new FormatException($"A WKB multi geometry of type {header.Type} holds a member of type {member.Type}.");
                    }
                    WriteCoordinates(writer, ref reader, member);
                }
                writer.WriteEndArray();
                break;
        }
    }

    private static void WritePointList(Utf8JsonWriter writer, ref Reader reader, Header header)
    {
        writer.WriteStartArray();
        for (var points = reader.ReadCount(); points > 0; points--)
        {
            WritePoint(writer, ref reader, header, emptyAsEmptyArray: false);
        }
        writer.WriteEndArray();
    }

    private static void WritePoint(Utf8JsonWriter writer, ref Reader reader, Header header, bool emptyAsEmptyArray)
    {
        var x = reader.ReadDouble();
        var y = reader.ReadDouble();
        var z = header.HasZ ? reader.ReadDouble() : double.NaN;
        if (header.HasM)
        {
            reader.ReadDouble();
        }
        writer.WriteStartArray();
        // WKB writes an empty point as NaN coordinates; GeoJSON writes it as an empty array.
        if (!(emptyAsEmptyArray && double.IsNaN(x) && double.IsNaN(y)))
        {
            WriteCoordinate(writer, x);
            WriteCoordinate(writer, y);
            if (header.HasZ && !double.IsNaN(z))
            {
                WriteCoordinate(writer, z);
            }
        }
        writer.WriteEndArray();
    }

    /// <summary>
    /// A coordinate with at most <see cref="MaxDecimalDigits"/> decimals, as PostGIS's ST_AsGeoJSON writes it by
    /// default (0.1 mm in degrees). Formatted as a scaled integer: several times faster than the shortest round-trip
    /// form of a double, which is most of the cost of writing many geometries.
    /// </summary>
    private static void WriteCoordinate(Utf8JsonWriter writer, double value)
    {
        const double scale = 1e9;
        if (!double.IsFinite(value) || Math.Abs(value) >= 9e9)
        {
            writer.WriteNumberValue(value);
            return;
        }
        var scaled = (long)Math.Round(value * scale, MidpointRounding.AwayFromZero);
        Span<byte> text = stackalloc byte[32];
        var length = 0;
        if (scaled < 0)
        {
            text[length++] = (byte)'-';
            scaled = -scaled;
        }
        var whole = scaled / (long)scale;
        var fraction = scaled % (long)scale;
        Utf8Formatter.TryFormat(whole, text[length..], out var written);
        length += written;
        if (fraction != 0)
        {
            text[length++] = (byte)'.';
            for (var digit = MaxDecimalDigits - 1; digit >= 0 && fraction != 0; digit--)
            {
                var power = Powers[digit];
                text[length++] = (byte)('0' + fraction / power);
                fraction %= power;
            }
        }
        if (length == 1 && text[0] == '-')
        {
            text[0] = (byte)'0';
        }
        writer.WriteRawValue(text[..length], skipInputValidation: true);
    }

    private const int MaxDecimalDigits = 9;

    private static readonly long[] Powers = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

    /// <summary>A geometry's type code (Z and M apart), and its SRID when it has one.</summary>
    internal readonly record struct Header(uint Type, bool HasZ, bool HasM, uint? Srid);

    /// <summary>Reads WKB forward; <see cref="WkbHex"/> reads with it too.</summary>
    internal ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;
        private bool _littleEndian;

        public readonly int Remaining => _bytes.Length - _position;

        public Header ReadHeader()
        {
            _littleEndian = Take(1)[0] switch
            {
                0 => false,
                1 => true,
                var other => throw new FormatException($"WKB byte order {other} at offset {_position - 1} is neither 0 nor 1."),
            };
            var code = ReadUInt32();
            uint? srid = (code & SridFlag) != 0 ? ReadUInt32() : null;
            // EWKB says Z and M with flags; ISO WKB by adding 1000 (Z), 2000 (M) or 3000 (ZM) to the type.
            var iso = (code & 0x0FFF_FFFF) / 1000;
            return new Header((code & 0x0FFF_FFFF) % 1000, (code & ZFlag) != 0 || iso is 1 or 3, (code & MFlag) != 0 || iso is 2 or 3, srid);
        }

        public int ReadCount()
        {
            var count = ReadUInt32();
            // Every element takes at least 4 bytes: a count beyond what is left is a corrupt or hostile length.
            if (count > (uint)(_bytes.Length - _position) / 4)
            {
                throw new FormatException($"WKB count {count} at offset {_position - 4} is larger than the rest of the geometry.");
            }
            return (int)count;
        }

        public double ReadDouble()
        {
            var span = Take(8);
            return _littleEndian ? BinaryPrimitives.ReadDoubleLittleEndian(span) : BinaryPrimitives.ReadDoubleBigEndian(span);
        }

        private uint ReadUInt32()
        {
            var span = Take(4);
            return _littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(span) : BinaryPrimitives.ReadUInt32BigEndian(span);
        }

        private ReadOnlySpan<byte> Take(int length)
        {
            if (_position + length > _bytes.Length)
            {
                throw new FormatException($"WKB ends at offset {_bytes.Length}, inside a value that needs {length} bytes.");
            }
            var span = _bytes.Slice(_position, length);
            _position += length;
            return span;
        }
    }
}
