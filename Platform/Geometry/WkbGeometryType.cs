namespace CartoSelfHosted.Platform.Geometry;

/// <summary>The geometry types the encoders write, by their WKB type codes (the codes GeoJSON has a form for).</summary>
public enum WkbGeometryType : byte
{
    Point = 1,
    LineString = 2,
    Polygon = 3,
    MultiPoint = 4,
    MultiLineString = 5,
    MultiPolygon = 6,
    GeometryCollection = 7,
}
