using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.Platform.Tests;

/// <summary>Hex WKB and EWKB, as PostGIS prints geometries as text, rewritten as little-endian 2D EWKB with SRID 4326.</summary>
public sealed class WkbHexTests
{
    private const string PointSrid4326 = "0101000020E6100000000000000000F03F0000000000000040";

    [Theory]
    // What PostGIS prints for 'SRID=4326;POINT(1 2)'::geometry: kept byte for byte.
    [InlineData(PointSrid4326, PointSrid4326)]
    [InlineData("0101000020e6100000000000000000f03f0000000000000040", PointSrid4326)]
    [InlineData(@"\x0101000020E6100000000000000000F03F0000000000000040", PointSrid4326)]
    // Plain WKB (ST_AsBinary): the SRID is added.
    [InlineData("0101000000000000000000F03F0000000000000040", PointSrid4326)]
    // Big endian.
    [InlineData("00000000013FF00000000000004000000000000000", PointSrid4326)]
    // EWKB with Z (flag), ISO WKB with Z (1001), EWKB with M (flag): dropped to 2D.
    [InlineData("01010000A0E6100000000000000000F03F00000000000000400000000000000840", PointSrid4326)]
    [InlineData("01E9030000000000000000F03F00000000000000400000000000000840", PointSrid4326)]
    [InlineData("0101000060E6100000000000000000F03F00000000000000400000000000000840", PointSrid4326)]
    public void RewritesAsLittleEndian2DEwkbWithSrid4326(string hex, string expected)
    {
        var writer = new EwkbWriter();
        Assert.Equal(WkbGeometryType.Point, WkbHex.ToEwkb(hex, writer));
        Assert.Equal(expected, Convert.ToHexString(writer.ToArray()));
    }

    [Theory]
    [InlineData("0103000020e6100000020000000500000000000000000000000000000000000000000000000000244000000000000000000000000000002440000000000000244000000000000000000000000000002440000000000000000000000000000000000400000000000000000000400000000000000040000000000000084000000000000000400000000000000840000000000000084000000000000000400000000000000040",
        """{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[3,2],[3,3],[2,2]]]}""", WkbGeometryType.Polygon)]
    [InlineData("0106000000020000000103000000010000000400000000000000000000000000000000000000000000000000f03f0000000000000000000000000000f03f000000000000f03f000000000000000000000000000000000103000000010000000400000000000000000014400000000000001440000000000000184000000000000014400000000000001840000000000000184000000000000014400000000000001440",
        """{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}""", WkbGeometryType.MultiPolygon)]
    [InlineData("01050000a0e61000000200000001020000800200000000000000000000000000000000000000000000000000f03f000000000000f03f000000000000f03f0000000000000040010200008002000000000000000000004000000000000000400000000000000840000000000000084000000000000008400000000000001040",
        """{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]}""", WkbGeometryType.MultiLineString)]
    [InlineData("0107000000020000000101000000000000000000f03f000000000000004001020000000200000000000000000000000000000000000000000000000000f03f000000000000f03f",
        """{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}""", WkbGeometryType.GeometryCollection)]
    [InlineData("0101000000000000000000f87f000000000000f87f", """{"type":"Point","coordinates":[]}""", WkbGeometryType.Point)]
    [InlineData("0104000000020000000101000000000000000000f03f0000000000000040010100000000000000000008400000000000001040",
        """{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}""", WkbGeometryType.MultiPoint)]
    public void EveryTypeRoundTrips(string hex, string geoJson, WkbGeometryType type)
    {
        var writer = new EwkbWriter();
        Assert.Equal(type, WkbHex.ToEwkb(hex, writer));
        var ewkb = writer.ToArray();
        Assert.Equal("01", Convert.ToHexString(ewkb, 0, 1));
        Assert.Equal(0x2000_0000u, BitConverter.ToUInt32(ewkb, 1) & 0x2000_0000u);
        Assert.Equal(4326, BitConverter.ToInt32(ewkb, 5));
        Assert.Equal(geoJson, GeometryTestText.GeoJsonOf(ewkb));
    }

    [Theory]
    // Cut short inside the last coordinate.
    [InlineData("0101000020E6100000000000000000F03F00000000", "WKB ends at offset 21, inside a value that needs 8 bytes.")]
    // A line claiming 1000 points in 16 bytes.
    [InlineData("0102000000E8030000000000000000F03F0000000000000040", "WKB count 1000 at offset 5 is larger than the rest of the geometry.")]
    [InlineData("0101000020E6100000000000000000F03F000000000000004000", "WKB goes on for 1 bytes after the geometry ends")]
    [InlineData("0101000020E6100000000000000000F03F000000000000004", "odd number of digits (49)")]
    [InlineData("0101000020E6100000000000000000F03F00000000000000ZZ", "hex WKB has 'Z' at character 49: it is not hexadecimal.")]
    [InlineData("0101000020110F0000000000000000F03F0000000000000040", "SRID 3857 is not supported")]
    [InlineData("01080000000300000000000000000000000000000000000000000000000000f03f000000000000f03f00000000000000400000000000000000", "WKB geometry type 8")]
    [InlineData("01010000000000000000F9F5C00000000000000040", "coordinate (-90000, 2) is outside longitude -180..180")]
    [InlineData("0104000000010000000102000000000000000000", "a WKB MultiPoint holds a LineString.")]
    [InlineData("0102000000010000000000000000000000000000000000F03F", "a LineString has 1 position")]
    [InlineData("0201000000", "WKB byte order 2")]
    [InlineData("", "WKB ends at offset 0")]
    public void RefusesWhatIsNotOneWkbGeometryWithAReason(string hex, string reason) =>
        Assert.Contains(reason, Assert.Throws<FormatException>(() => WkbHex.ToEwkb(hex, new EwkbWriter())).Message);
}
