using System.Text;
using System.Text.Json;
using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.Platform.Tests;

/// <summary>What the geometry tests compare: EWKB written back as GeoJSON by <see cref="Ewkb.WriteGeoJson"/>.</summary>
internal static class GeometryTestText
{
    public static string GeoJsonOf(byte[] ewkb)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            Ewkb.WriteGeoJson(writer, ewkb);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
