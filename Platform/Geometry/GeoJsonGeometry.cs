using System.Text.Json;

namespace CartoSelfHosted.Platform.Geometry;

/// <summary>A GeoJSON geometry object (RFC 7946) written as EWKB, straight from the JSON tokens.</summary>
public static class GeoJsonGeometry
{
    private const string OutOfRangeHint =
        "the file is probably in a projected coordinate system; GeoJSON is WGS 84 (RFC 7946).";

    /// <summary>Exact powers of ten: a double holds 10^0 to 10^22 exactly.</summary>
    private static readonly double[] ExactPowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Writes the geometry object at <paramref name="reader"/> (on its <see cref="JsonTokenType.StartObject"/>) to
    /// <paramref name="output"/>, its kind in <paramref name="type"/>, and leaves the reader on its
    /// <see cref="JsonTokenType.EndObject"/>. Members come in any order: <c>coordinates</c> before <c>type</c> are
    /// read again, from a copy of the reader, once the type is known. Z is dropped.
    /// </summary>
    /// <returns>
    /// False when the reader's data is a partial block that ends inside the object: the caller reads the object again
    /// once it has more. (A reader over final data throws <see cref="JsonException"/> there instead.)
    /// </returns>
    /// <exception cref="FormatException">
    /// Not a geometry GeoJSON has, coordinates outside longitude/latitude, a line of 1 position, a short or open ring.
    /// </exception>
    public static bool TryToEwkb(ref Utf8JsonReader reader, EwkbWriter output, out WkbGeometryType type)
    {
        output.Clear();
        return TryWriteGeometry(ref reader, output, outermost: true, out type);
    }

    private static bool TryWriteGeometry(ref Utf8JsonReader reader, EwkbWriter output, bool outermost, out WkbGeometryType type)
    {
        type = default;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException($"a geometry is a JSON object, not {Describe(reader.TokenType)}.");
        }
        WkbGeometryType? knownType = null;
        var written = false;
        // Where coordinates or geometries start, when they come before the type: a copy of the reader reads them again.
        Utf8JsonReader coordinates = default, geometries = default;
        bool hasCoordinates = false, hasGeometries = false;
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }
            var member = reader.ValueTextEquals("type"u8) ? Member.Type
                : reader.ValueTextEquals("coordinates"u8) ? Member.Coordinates
                : reader.ValueTextEquals("geometries"u8) ? Member.Geometries
                : Member.Other;
            if (!reader.Read())
            {
                return false;
            }
            if (member == Member.Type)
            {
                knownType = ParseType(ref reader);
                continue;
            }
            if (member != Member.Other && knownType is { } known && !written
                && (member == Member.Geometries) == (known == WkbGeometryType.GeometryCollection))
            {
                output.WriteHeader(known, outermost);
                if (!TryWriteBody(ref reader, output, known))
                {
                    return false;
                }
                written = true;
                continue;
            }
            if (knownType is null && member == Member.Coordinates)
            {
                coordinates = reader;
                hasCoordinates = true;
            }
            else if (knownType is null && member == Member.Geometries)
            {
                geometries = reader;
                hasGeometries = true;
            }
            if (!reader.TrySkip())
            {
                return false;
            }
        }
        type = knownType ?? throw new FormatException("a geometry has no type.");
        if (!written)
        {
            var isCollection = type == WkbGeometryType.GeometryCollection;
            if (!(isCollection ? hasGeometries : hasCoordinates))
            {
                throw new FormatException($"a {type} has no {(isCollection ? "geometries" : "coordinates")}.");
            }
            var body = isCollection ? geometries : coordinates;
            output.WriteHeader(type, outermost);
            // The whole object has been read, so the body is whole too.
            TryWriteBody(ref body, output, type);
        }
        return true;
    }

    private static WkbGeometryType ParseType(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new FormatException($"a geometry's type is {Describe(reader.TokenType)}, not a string.");
        }
        return reader.ValueTextEquals("Point"u8) ? WkbGeometryType.Point
            : reader.ValueTextEquals("LineString"u8) ? WkbGeometryType.LineString
            : reader.ValueTextEquals("Polygon"u8) ? WkbGeometryType.Polygon
            : reader.ValueTextEquals("MultiPoint"u8) ? WkbGeometryType.MultiPoint
            : reader.ValueTextEquals("MultiLineString"u8) ? WkbGeometryType.MultiLineString
            : reader.ValueTextEquals("MultiPolygon"u8) ? WkbGeometryType.MultiPolygon
            : reader.ValueTextEquals("GeometryCollection"u8) ? WkbGeometryType.GeometryCollection
            : throw new FormatException(
                $"unknown geometry type \"{reader.GetString()}\": GeoJSON's are Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon and GeometryCollection.");
    }

    /// <summary>The coordinates (or, for a collection, the geometries) of a geometry whose header is written.</summary>
    private static bool TryWriteBody(ref Utf8JsonReader reader, EwkbWriter output, WkbGeometryType type)
    {
        switch (type)
        {
            case WkbGeometryType.Point:
                return TryWritePoint(ref reader, output);
            case WkbGeometryType.LineString:
                return TryWriteLineString(ref reader, output);
            case WkbGeometryType.Polygon:
                return TryWritePolygon(ref reader, output);
            case WkbGeometryType.GeometryCollection:
                {
                    var countAt = StartList(ref reader, output, "geometries");
                    var count = 0;
                    while (true)
                    {
                        if (!reader.Read())
                        {
                            return false;
                        }
                        if (reader.TokenType == JsonTokenType.EndArray)
                        {
                            break;
                        }
                        if (!TryWriteGeometry(ref reader, output, outermost: false, out _))
                        {
                            return false;
                        }
                        count++;
                    }
                    output.WriteCount(countAt, count);
                    return true;
                }
            default:
                {
                    // A multi geometry: each member is a whole WKB geometry of the single type, with its own header.
                    var memberType = type - 3;
                    var countAt = StartList(ref reader, output, "coordinates");
                    var count = 0;
                    while (true)
                    {
                        if (!reader.Read())
                        {
                            return false;
                        }
                        if (reader.TokenType == JsonTokenType.EndArray)
                        {
                            break;
                        }
                        output.WriteHeader(memberType, outermost: false);
                        if (!TryWriteBody(ref reader, output, memberType))
                        {
                            return false;
                        }
                        count++;
                    }
                    output.WriteCount(countAt, count);
                    return true;
                }
        }
    }

    /// <summary>A point's coordinates: one position, or an empty array for POINT EMPTY.</summary>
    private static bool TryWritePoint(ref Utf8JsonReader reader, EwkbWriter output)
    {
        ExpectArray(ref reader, "coordinates");
        if (!reader.Read())
        {
            return false;
        }
        if (reader.TokenType == JsonTokenType.EndArray)
        {
            output.WriteEmptyPoint();
            return true;
        }
        return TryWritePositionNumbers(ref reader, output);
    }

    private static bool TryWriteLineString(ref Utf8JsonReader reader, EwkbWriter output)
    {
        var countAt = StartList(ref reader, output, "coordinates");
        if (!TryWritePositions(ref reader, output, out var positions))
        {
            return false;
        }
        output.EndLineString(countAt, positions);
        return true;
    }

    private static bool TryWritePolygon(ref Utf8JsonReader reader, EwkbWriter output)
    {
        var countAt = StartList(ref reader, output, "coordinates");
        var rings = 0;
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                break;
            }
            var ringCountAt = StartList(ref reader, output, "a polygon ring");
            if (!TryWritePositions(ref reader, output, out var positions))
            {
                return false;
            }
            output.EndRing(ringCountAt, positions);
            rings++;
        }
        output.WriteCount(countAt, rings);
        return true;
    }

    /// <summary>Positions up to the end of the array the reader is in, and how many.</summary>
    private static bool TryWritePositions(ref Utf8JsonReader reader, EwkbWriter output, out int count)
    {
        count = 0;
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return true;
            }
            ExpectArray(ref reader, "a position");
            if (!reader.Read() || !TryWritePositionNumbers(ref reader, output))
            {
                return false;
            }
            count++;
        }
    }

    /// <summary>A position's numbers, the reader on the first: longitude and latitude are written, any more (Z) dropped.</summary>
    private static bool TryWritePositionNumbers(ref Utf8JsonReader reader, EwkbWriter output)
    {
        var x = ReadNumber(ref reader);
        if (!reader.Read())
        {
            return false;
        }
        var y = ReadNumber(ref reader);
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                break;
            }
            ReadNumber(ref reader);
        }
        output.WritePosition(x, y, OutOfRangeHint);
        return true;
    }

    private static double ReadNumber(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.HasValueSequence && TryParseShortDecimal(reader.ValueSpan, out var value))
            {
                return value;
            }
            if (reader.TryGetDouble(out value))
            {
                return value;
            }
        }
        throw new FormatException(reader.TokenType switch
        {
            JsonTokenType.EndArray => "a position has fewer than 2 numbers: it needs a longitude and a latitude.",
            JsonTokenType.Number => "a coordinate is beyond the range of a double.",
            var other => $"a position holds {Describe(other)}, not a number.",
        });
    }

    /// <summary>
    /// The common coordinate (<c>-73.9857</c>: no exponent, at most 15 digits) parsed several times faster than the
    /// general parser: its digits as an integer are exact in a double, and so is a power of ten up to 10^22, so one
    /// division rounds correctly (Clinger's fast path) and gives the same double. Anything else is left to it.
    /// </summary>
    private static bool TryParseShortDecimal(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        var negative = text[0] == '-';
        ulong digits = 0;
        var digitCount = 0;
        var decimals = -1;
        for (var i = negative ? 1 : 0; i < text.Length; i++)
        {
            var digit = (uint)(text[i] - '0');
            if (digit <= 9)
            {
                digits = digits * 10 + digit;
                digitCount++;
                if (decimals >= 0)
                {
                    decimals++;
                }
            }
            else if (text[i] == '.' && decimals < 0)
            {
                decimals = 0;
            }
            else
            {
                return false;
            }
        }
        if (digitCount > 15 || decimals > 22)
        {
            return false;
        }
        value = decimals > 0 ? digits / ExactPowersOfTen[decimals] : digits;
        if (negative)
        {
            value = -value;
        }
        return true;
    }

    private static int StartList(ref Utf8JsonReader reader, EwkbWriter output, string what)
    {
        ExpectArray(ref reader, what);
        return output.ReserveCount();
    }

    private static void ExpectArray(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new FormatException($"{what} is {Describe(reader.TokenType)}, not an array.");
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private enum Member
    {
        Type,
        Coordinates,
        Geometries,
        Other,
    }
}
