using System.Text;
using System.Text.Json;
using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.Platform.Imports;

/// <summary>
/// A CSV's geometry (the text of its geometry column, or its latitude and longitude) as EWKB, through Platform/Geometry's encoders (one writer, reused from row to
/// row). Each throws <see cref="FormatException"/> for a value it cannot read; <see cref="CsvFeatureReader"/> reports
/// it with the line.
/// </summary>
internal sealed class CsvGeometryColumn
{
    private readonly EwkbWriter _writer = new();

    /// <summary>A point from latitude and longitude columns.</summary>
    public GeometryValue Point(double longitude, double latitude)
    {
        _writer.WritePoint(longitude, latitude);
        return Value(WkbGeometryType.Point);
    }

    /// <summary>WKT or EWKT (<c>SRID=4326;POINT(1 2)</c>).</summary>
    public GeometryValue ParseWkt(string text) => Value(Wkt.ToEwkb(text, _writer));

    /// <summary>WKB or EWKB in hexadecimal, as PostGIS writes a geometry as text.</summary>
    public GeometryValue ParseWkbHex(string text) => Value(WkbHex.ToEwkb(text.AsSpan().Trim(), _writer));

    /// <summary>A GeoJSON geometry object.</summary>
    public GeometryValue ParseGeoJson(string text)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), isFinalBlock: true, default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException("a GeoJSON geometry is a JSON object.");
            }
            GeoJsonGeometry.TryToEwkb(ref reader, _writer, out var type);
            return Value(type);
        }
        catch (JsonException e)
        {
            throw new FormatException($"invalid JSON: {e.Message}", e);
        }
    }

    private GeometryValue Value(WkbGeometryType type) => new(_writer.ToArray(), type);
}
