using System.Text;

namespace CartoSelfHosted.TestSupport;

/// <summary>A feature of a decoded Mapbox Vector Tile: its geometry type (1 point, 2 line, 3 polygon), properties and first vertex.</summary>
public sealed record VectorTileFeature(int GeometryType, IReadOnlyDictionary<string, object> Properties, (int X, int Y) FirstVertex);

public sealed record VectorTileLayer(string Name, int Extent, IReadOnlyList<VectorTileFeature> Features);

/// <summary>
/// Reads Mapbox Vector Tiles (protobuf, spec 2.1) far enough for tests to check what a tile holds, independently of
/// the server that wrote it.
/// </summary>
public static class VectorTile
{
    public static IReadOnlyList<VectorTileLayer> Decode(byte[] tile)
    {
        var layers = new List<VectorTileLayer>();
        var reader = new ProtoReader(tile);
        while (reader.Next(out var field, out var wire))
        {
            if (field == 3)
            {
                layers.Add(DecodeLayer(reader.Bytes()));
            }
            else
            {
                reader.Skip(wire);
            }
        }
        return layers;
    }

    private static VectorTileLayer DecodeLayer(ReadOnlyMemory<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        string name = "";
        var extent = 4096;
        var keys = new List<string>();
        var values = new List<object>();
        var rawFeatures = new List<ReadOnlyMemory<byte>>();
        while (reader.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 1: name = Encoding.UTF8.GetString(reader.Bytes().Span); break;
                case 2: rawFeatures.Add(reader.Bytes()); break;
                case 3: keys.Add(Encoding.UTF8.GetString(reader.Bytes().Span)); break;
                case 4: values.Add(DecodeValue(reader.Bytes())); break;
                case 5: extent = (int)reader.Varint(); break;
                default: reader.Skip(wire); break;
            }
        }
        return new VectorTileLayer(name, extent, rawFeatures.Select(feature => DecodeFeature(feature, keys, values)).ToList());
    }

    private static VectorTileFeature DecodeFeature(ReadOnlyMemory<byte> bytes, List<string> keys, List<object> values)
    {
        var reader = new ProtoReader(bytes);
        var properties = new Dictionary<string, object>();
        var type = 0;
        (int, int) first = default;
        while (reader.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 2:
                    var tags = Packed(reader.Bytes());
                    for (var i = 0; i + 1 < tags.Count; i += 2)
                    {
                        properties[keys[(int)tags[i]]] = values[(int)tags[i + 1]];
                    }
                    break;
                case 3: type = (int)reader.Varint(); break;
                case 4:
                    var commands = Packed(reader.Bytes());
                    // The first command is a MoveTo with zigzag-encoded coordinates relative to (0, 0).
                    if (commands.Count >= 3)
                    {
                        first = (ZigZag(commands[1]), ZigZag(commands[2]));
                    }
                    break;
                default: reader.Skip(wire); break;
            }
        }
        return new VectorTileFeature(type, properties, first);
    }

    private static object DecodeValue(ReadOnlyMemory<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        object value = "";
        while (reader.Next(out var field, out var wire))
        {
            value = field switch
            {
                1 => Encoding.UTF8.GetString(reader.Bytes().Span),
                2 => (double)BitConverter.ToSingle(reader.Fixed(4).Span),
                3 => BitConverter.ToDouble(reader.Fixed(8).Span),
                4 => (long)reader.Varint(),
                5 => (long)reader.Varint(),
                6 => (long)ZigZag(reader.Varint()),
                7 => reader.Varint() != 0,
                _ => Skip(reader, wire),
            };
        }
        return value;

        static object Skip(ProtoReader reader, int wire)
        {
            reader.Skip(wire);
            return "";
        }
    }

    private static List<ulong> Packed(ReadOnlyMemory<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        var values = new List<ulong>();
        while (!reader.AtEnd)
        {
            values.Add(reader.Varint());
        }
        return values;
    }

    private static int ZigZag(ulong value) => (int)((long)(value >> 1) ^ -(long)(value & 1));

    private sealed class ProtoReader(ReadOnlyMemory<byte> buffer)
    {
        private int _position;

        public bool AtEnd => _position >= buffer.Length;

        public bool Next(out int field, out int wire)
        {
            if (AtEnd)
            {
                (field, wire) = (0, 0);
                return false;
            }
            var key = Varint();
            (field, wire) = ((int)(key >> 3), (int)(key & 7));
            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = buffer.Span[_position++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
        }

        public ReadOnlyMemory<byte> Bytes()
        {
            var length = (int)Varint();
            var bytes = buffer.Slice(_position, length);
            _position += length;
            return bytes;
        }

        public ReadOnlyMemory<byte> Fixed(int length)
        {
            var bytes = buffer.Slice(_position, length);
            _position += length;
            return bytes;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: _position += 8; break;
                case 2: Bytes(); break;
                case 5: _position += 4; break;
                default: throw new InvalidDataException($"Unknown protobuf wire type {wire}.");
            }
        }
    }
}
