namespace CartoSelfHosted.Platform.Tiles;

/// <summary>
/// The properties of a vector tile's features that are the platform's, not the source's columns, as CARTO's clients read
/// them, and the SQL that makes each from a feature's geometry. Tiles of a table read them from its prepared copy (made
/// there once); tiles of a query, and the widget API, compute them with the same SQL from the same geometry, so they
/// agree wherever they are made.
/// </summary>
public static class TileFeatureProperties
{
    /// <summary>
    /// A feature's id, which <c>@carto/api-client</c>'s <c>getFeatures</c> (the <c>pick</c> model) and the
    /// <c>featureIds</c> of every widget send back. As CARTO's, a hash of the geometry: features of the same geometry
    /// share it. Ours is of the source's whole geometry as stored (its EWKB, before any transform, clip or simplification),
    /// so one feature has one id in every tile and zoom, and a widget finds it again by reading the source.
    /// </summary>
    public const string FeatureId = "_carto_feature_id";

    /// <summary>
    /// A polygon's bounding box in degrees, <c>"west,south,east,north"</c> of its whole geometry (not of the part a tile
    /// holds), which deck.gl's labels place by (<c>prepareLabels</c>, sent as <c>featureBbox=true</c>). Points and lines
    /// have none: deck.gl labels them from the tile's own geometry.
    /// </summary>
    public const string Bbox = "_carto_bbox";

    public static IReadOnlySet<string> Names { get; } = new HashSet<string>(StringComparer.Ordinal) { FeatureId, Bbox };

    /// <summary>
    /// The id of a <paramref name="geometry"/> (SQL of type geometry, the source's column as it is): the first 64 bits of
    /// the MD5 of its EWKB, in hex. MD5 because every PostgreSQL has it (a connection's database may have no extension of
    /// ours), 64 bits because it rides in every feature of every tile; two geometries of ten million share one with a chance
    /// of about 3 in a million.
    /// </summary>
    public static string FeatureIdSql(string geometry) => $"left(md5(ST_AsEWKB({geometry})), 16)";

    /// <summary>
    /// <see cref="Bbox"/> of a geometry in EPSG:4326 (<paramref name="geometryInDegrees"/>); null for points and lines. The
    /// geometry and its extent are computed once per row (<c>OFFSET 0</c> keeps the planner from copying the expressions
    /// into each use), the extent exactly (<c>box3d</c>, not a bounding box cached in single precision), and written as
    /// PostgreSQL writes a float8: the shortest text that reads back as the same number.
    /// </summary>
    public static string BboxSql(string geometryInDegrees) =>
        $"""
         (SELECT CASE WHEN dimension = 2 THEN concat_ws(',', ST_XMin(extent), ST_YMin(extent), ST_XMax(extent), ST_YMax(extent)) END
          FROM (SELECT ST_Dimension(g) AS dimension, Box3D(g) AS extent FROM (SELECT {geometryInDegrees} AS g OFFSET 0) AS degrees OFFSET 0) AS feature)
         """;
}
