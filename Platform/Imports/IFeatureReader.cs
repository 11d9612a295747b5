using System.Diagnostics.CodeAnalysis;

namespace CartoSelfHosted.Platform.Imports;

/// <summary>
/// Reads a file's features one at a time, forward, in memory that does not grow with the file.
/// Bad input throws <see cref="ImportFormatException"/>.
/// </summary>
public interface IFeatureReader : IDisposable
{
    /// <summary>The format read, for people: <c>csv</c>, <c>geojson</c>, <c>geojsonseq</c>.</summary>
    string Format { get; }

    /// <summary>
    /// The fields' names as the file has them, in the order first seen. It can grow while reading (a GeoJSON
    /// property first seen in a later feature); names are never removed or reordered.
    /// </summary>
    IReadOnlyList<string> Fields { get; }

    /// <summary>Where geometries come from, for people (<c>"latitude, longitude"</c>, <c>"WKT column the_geom"</c>, <c>"GeoJSON geometry"</c>); null when the file has none.</summary>
    string? GeometrySource { get; }

    /// <summary>The next feature, or false at the end of the file.</summary>
    bool TryRead([NotNullWhen(true)] out Feature? feature);
}
