using System.Text;
using System.Text.Json;
using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.Platform.Tests;

/// <summary>EWKB as PostGIS 3.3 writes it (ST_AsEWKB), written as GeoJSON the way ST_AsGeoJSON writes the same geometry.</summary>
public sealed class EwkbTests
{
    [Theory]
    [InlineData("0103000020e6100000020000000500000000000000000000000000000000000000000000000000244000000000000000000000000000002440000000000000244000000000000000000000000000002440000000000000000000000000000000000400000000000000000000400000000000000040000000000000084000000000000000400000000000000840000000000000084000000000000000400000000000000040",
        """{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[3,2],[3,3],[2,2]]]}""")]
    [InlineData("0106000000020000000103000000010000000400000000000000000000000000000000000000000000000000f03f0000000000000000000000000000f03f000000000000f03f000000000000000000000000000000000103000000010000000400000000000000000014400000000000001440000000000000184000000000000014400000000000001840000000000000184000000000000014400000000000001440",
        """{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}""")]
    [InlineData("01050000a0e61000000200000001020000800200000000000000000000000000000000000000000000000000f03f000000000000f03f000000000000f03f0000000000000040010200008002000000000000000000004000000000000000400000000000000840000000000000084000000000000008400000000000001040",
        """{"type":"MultiLineString","coordinates":[[[0,0,1],[1,1,2]],[[2,2,3],[3,3,4]]]}""")]
    [InlineData("0107000000020000000101000000000000000000f03f000000000000004001020000000200000000000000000000000000000000000000000000000000f03f000000000000f03f",
        """{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}""")]
    [InlineData("0101000000000000000000f87f000000000000f87f", """{"type":"Point","coordinates":[]}""")]
    [InlineData("0101000040000000000000f03f00000000000000400000000000000840", """{"type":"Point","coordinates":[1,2]}""")]
    [InlineData("0104000000020000000101000000000000000000f03f0000000000000040010100000000000000000008400000000000001040",
        """{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}""")]
    [InlineData("00000000013ff00000000000004000000000000000", """{"type":"Point","coordinates":[1,2]}""")]
    [InlineData("01e9030000000000000000f03f00000000000000400000000000000840", """{"type":"Point","coordinates":[1,2,3]}""")]
    public void WritesEveryGeoJsonTypeAsPostGisDoes(string ewkb, string geoJson) => Assert.Equal(geoJson, Write(ewkb));

    [Theory]
    [InlineData(1.5, "1.5")]
    [InlineData(-0.5, "-0.5")]
    [InlineData(-78.47, "-78.47")]
    [InlineData(38.7223, "38.7223")]
    [InlineData(123456.123456789, "123456.123456789")]
    [InlineData(0.0000000001, "0")]
    [InlineData(-0.0000000016, "-0.000000002")]
    [InlineData(180, "180")]
    [InlineData(1e12, "1000000000000")]
    public void CoordinatesHaveAtMostNineDecimalsAsStAsGeoJsonWritesThem(double x, string text)
    {
        var point = new byte[21];
        point[0] = 1;
        point[1] = 1;
        BitConverter.TryWriteBytes(point.AsSpan(5), x);
        BitConverter.TryWriteBytes(point.AsSpan(13), 2.0);
        Assert.Equal($$"""{"type":"Point","coordinates":[{{text}},2]}""", Write(Convert.ToHexString(point)));
    }

    [Theory]
    [InlineData("01080000000300000000000000000000000000000000000000000000000000f03f000000000000f03f00000000000000400000000000000000", "ST_CurveToLine")]
    [InlineData("0101000000000000000000f03f", "ends at offset 13")]
    [InlineData("0102000000ffffff7f", "larger than the rest")]
    [InlineData("0201000000", "byte order 2")]
    public void RefusesWhatIsNotGeoJsonWithAReason(string ewkb, string reason) =>
        Assert.Contains(reason, Assert.Throws<FormatException>(() => Write(ewkb)).Message);

    private static string Write(string hex)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            Ewkb.WriteGeoJson(writer, Convert.FromHexString(hex));
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
