using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.Platform.Imports;

/// <summary>What a field's value was in the file, before a column type is chosen for it.</summary>
public enum FieldKind : byte
{
    Null,
    /// <summary>Text: every CSV value, and GeoJSON strings.</summary>
    String,
    /// <summary>A JSON number, as its text.</summary>
    Number,
    /// <summary>A JSON boolean: <c>true</c> or <c>false</c>.</summary>
    Boolean,
    /// <summary>A JSON object or array, as its JSON text.</summary>
    Json,
}

/// <summary>One field of one feature, as read: its kind and its text (null for <see cref="FieldKind.Null"/>).</summary>
public readonly record struct FieldValue(FieldKind Kind, string? Text)
{
    public static readonly FieldValue Null = new(FieldKind.Null, null);

    public static FieldValue String(string text) => new(FieldKind.String, text);
}

/// <summary>A feature's geometry as EWKB with SRID 4326 (little endian, 2D), and its type.</summary>
public sealed record GeometryValue(byte[] Ewkb, WkbGeometryType Kind);

/// <summary>
/// One feature (a CSV row, a GeoJSON feature): <see cref="Values"/>[i] is the value of the reader's
/// <see cref="IFeatureReader.Fields"/>[i]; fields past the array's end are null for this feature.
/// </summary>
public sealed record Feature(FieldValue[] Values, GeometryValue? Geometry);
