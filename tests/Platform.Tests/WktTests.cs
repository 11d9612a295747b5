using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.Platform.Tests;

/// <summary>WKT and EWKT to EWKB, written back as GeoJSON to check.</summary>
public sealed class WktTests
{
    [Theory]
    [InlineData("POINT(-3.7038 40.4168)", """{"type":"Point","coordinates":[-3.7038,40.4168]}""", WkbGeometryType.Point)]
    [InlineData("SRID=4326;POINT(1 2)", """{"type":"Point","coordinates":[1,2]}""", WkbGeometryType.Point)]
    [InlineData("  srid=4326 ; point ( 1   2 )  ", """{"type":"Point","coordinates":[1,2]}""", WkbGeometryType.Point)]
    [InlineData("LineString(0 0, 10 5.5,-20 -30)", """{"type":"LineString","coordinates":[[0,0],[10,5.5],[-20,-30]]}""", WkbGeometryType.LineString)]
    [InlineData("POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,3 2,3 3,2 2))", """{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[3,2],[3,3],[2,2]]]}""", WkbGeometryType.Polygon)]
    [InlineData("MULTIPOINT((1 2),(3 4))", """{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}""", WkbGeometryType.MultiPoint)]
    [InlineData("MULTIPOINT(1 2, 3 4)", """{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}""", WkbGeometryType.MultiPoint)]
    [InlineData("MULTILINESTRING((0 0,1 1),(2 2,3 3,4 4))", """{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3],[4,4]]]}""", WkbGeometryType.MultiLineString)]
    [InlineData("MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))", """{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}""", WkbGeometryType.MultiPolygon)]
    [InlineData("GEOMETRYCOLLECTION(POINT(1 2),GEOMETRYCOLLECTION(LINESTRING(0 0,1 1)))", """{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"GeometryCollection","geometries":[{"type":"LineString","coordinates":[[0,0],[1,1]]}]}]}""", WkbGeometryType.GeometryCollection)]
    [InlineData("POINT Z (1 2 3)", """{"type":"Point","coordinates":[1,2]}""", WkbGeometryType.Point)]
    [InlineData("POINTZ(1 2 3)", """{"type":"Point","coordinates":[1,2]}""", WkbGeometryType.Point)]
    [InlineData("POINT M (1 2 3)", """{"type":"Point","coordinates":[1,2]}""", WkbGeometryType.Point)]
    [InlineData("POINT ZM (1 2 3 4)", """{"type":"Point","coordinates":[1,2]}""", WkbGeometryType.Point)]
    [InlineData("LINESTRING(1 2 3, 4 5 6)", """{"type":"LineString","coordinates":[[1,2],[4,5]]}""", WkbGeometryType.LineString)]
    [InlineData("SRID=4326;MULTIPOINT ZM ((1 2 3 4),(5 6 7 8))", """{"type":"MultiPoint","coordinates":[[1,2],[5,6]]}""", WkbGeometryType.MultiPoint)]
    [InlineData("POINT(1e1 -2.5E-1)", """{"type":"Point","coordinates":[10,-0.25]}""", WkbGeometryType.Point)]
    [InlineData("POINT EMPTY", """{"type":"Point","coordinates":[]}""", WkbGeometryType.Point)]
    [InlineData("LINESTRING EMPTY", """{"type":"LineString","coordinates":[]}""", WkbGeometryType.LineString)]
    [InlineData("POLYGON Z EMPTY", """{"type":"Polygon","coordinates":[]}""", WkbGeometryType.Polygon)]
    [InlineData("MULTIPOLYGON EMPTY", """{"type":"MultiPolygon","coordinates":[]}""", WkbGeometryType.MultiPolygon)]
    [InlineData("GEOMETRYCOLLECTION EMPTY", """{"type":"GeometryCollection","geometries":[]}""", WkbGeometryType.GeometryCollection)]
    [InlineData("MULTIPOINT(EMPTY,(1 2))", """{"type":"MultiPoint","coordinates":[[],[1,2]]}""", WkbGeometryType.MultiPoint)]
    [InlineData("GEOMETRYCOLLECTION(POINT EMPTY, LINESTRING EMPTY)", """{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[]},{"type":"LineString","coordinates":[]}]}""", WkbGeometryType.GeometryCollection)]
    public void ReadsWktAndEwktToTwoDimensions(string wkt, string geoJson, WkbGeometryType type)
    {
        var writer = new EwkbWriter();
        Assert.Equal(type, Wkt.ToEwkb(wkt, writer));
        Assert.Equal(geoJson, GeometryTestText.GeoJsonOf(writer.ToArray()));
    }

    [Fact]
    public void WritesLittleEndianEwkbWithSrid4326()
    {
        var writer = new EwkbWriter();
        Wkt.ToEwkb("POINT(1 2)", writer);
        Assert.Equal("0101000020E6100000000000000000F03F0000000000000040", Convert.ToHexString(writer.ToArray()));
    }

    [Theory]
    [InlineData("SRID=3857;POINT(500000 4000000)", "SRID 3857 is not supported")]
    [InlineData("POINT(500000 4000000)", "coordinate (500000, 4000000) is outside longitude -180..180 / latitude -90..90: the data is probably in a projected coordinate system")]
    [InlineData("CIRCULARSTRING(0 0,1 1,2 0)", "WKT has \"CIRCULARSTRING\" at character 1 where a geometry type")]
    [InlineData("POINT(1 2", "WKT ends at character 9 where ')' belongs: it is cut short.")]
    [InlineData("POINT(1 2) x", "WKT has 'x' at character 12 where the end of the text belongs.")]
    [InlineData("POINT(1 a)", "WKT has 'a' at character 9 where a number belongs.")]
    [InlineData("POINT(1)", "WKT has ')' at character 8 where a number belongs.")]
    [InlineData("LINESTRING(1 2)", "a LineString has 1 position")]
    [InlineData("POLYGON((0 0,1 0,1 1,0 1))", "a ring must end where it starts (closed)")]
    [InlineData("POLYGON((0 0,1 0,0 0))", "a polygon ring has 3 positions")]
    [InlineData("SRID=abc;POINT(1 2)", "where an SRID number belongs")]
    [InlineData("", "where a geometry type")]
    public void RefusesWithAReason(string wkt, string reason) =>
        Assert.Contains(reason, Assert.Throws<FormatException>(() => Wkt.ToEwkb(wkt, new EwkbWriter())).Message);
}
