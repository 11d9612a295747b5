using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.Platform.Tests;

/// <summary>GeoJSON geometry objects to EWKB, checked byte by byte and by writing the EWKB back as GeoJSON.</summary>
public sealed class GeoJsonGeometryTests
{
    [Theory]
    [InlineData("""{"type":"Point","coordinates":[-3.7038,40.4168]}""", WkbGeometryType.Point)]
    [InlineData("""{"type":"LineString","coordinates":[[0,0],[10,5.5],[-20,-30]]}""", WkbGeometryType.LineString)]
    [InlineData("""{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[3,2],[3,3],[2,2]]]}""", WkbGeometryType.Polygon)]
    [InlineData("""{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}""", WkbGeometryType.MultiPoint)]
    [InlineData("""{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3],[4,4]]]}""", WkbGeometryType.MultiLineString)]
    [InlineData("""{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}""", WkbGeometryType.MultiPolygon)]
    [InlineData("""{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"GeometryCollection","geometries":[{"type":"LineString","coordinates":[[0,0],[1,1]]}]}]}""", WkbGeometryType.GeometryCollection)]
    [InlineData("""{"type":"Point","coordinates":[]}""", WkbGeometryType.Point)]
    [InlineData("""{"type":"LineString","coordinates":[]}""", WkbGeometryType.LineString)]
    [InlineData("""{"type":"Polygon","coordinates":[]}""", WkbGeometryType.Polygon)]
    [InlineData("""{"type":"MultiPolygon","coordinates":[]}""", WkbGeometryType.MultiPolygon)]
    [InlineData("""{"type":"GeometryCollection","geometries":[]}""", WkbGeometryType.GeometryCollection)]
    [InlineData("""{"type":"Point","coordinates":[180,-90]}""", WkbGeometryType.Point)]
    public void EveryTypeRoundTrips(string geoJson, WkbGeometryType type)
    {
        var (ewkb, written) = Encode(geoJson);
        Assert.Equal(type, written);
        Assert.Equal(geoJson, GeometryTestText.GeoJsonOf(ewkb));
    }

    [Fact]
    public void TheOutermostGeometryHasSrid4326AndItsMembersNone()
    {
        var (ewkb, _) = Encode("""{"type":"MultiPoint","coordinates":[[1,2]]}""");
        // byte order, type | SRID flag, SRID, count, then a member: byte order, plain type, x, y.
        Assert.Equal("01" + "04000020" + "E6100000" + "01000000" + "01" + "01000000" + "000000000000F03F" + "0000000000000040",
            Convert.ToHexString(ewkb));
    }

    [Theory]
    [InlineData("""{"coordinates":[[1,2],[3,4]],"type":"LineString"}""", """{"type":"LineString","coordinates":[[1,2],[3,4]]}""")]
    [InlineData("""{"bbox":[1,2,3,4],"coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"crs":{"type":"name"},"type":"Polygon","extra":{"coordinates":[9]}}""",
        """{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}""")]
    [InlineData("""{"geometries":[{"coordinates":[5,6],"type":"Point"}],"type":"GeometryCollection","coordinates":[1,2]}""",
        """{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[5,6]}]}""")]
    [InlineData("""{"type":"Point","geometries":[],"coordinates":[5,6]}""", """{"type":"Point","coordinates":[5,6]}""")]
    public void MembersComeInAnyOrder(string geoJson, string expected) =>
        Assert.Equal(expected, GeometryTestText.GeoJsonOf(Encode(geoJson).Ewkb));

    [Fact]
    public void ZIsDroppedAndTheReaderIsLeftOnTheGeometrysEnd()
    {
        var json = Encoding.UTF8.GetBytes("""[{"type":"LineString","coordinates":[[1,2,300],[3,4,400.5]]},"after"]""");
        var reader = new Utf8JsonReader(json);
        reader.Read();
        reader.Read();
        Assert.True(GeoJsonGeometry.TryToEwkb(ref reader, new EwkbWriter(), out _));
        Assert.Equal(JsonTokenType.EndObject, reader.TokenType);
        reader.Read();
        Assert.Equal("after", reader.GetString());

        var (ewkb, _) = Encode("""{"type":"Point","coordinates":[1,2,3]}""");
        Assert.Equal(25, ewkb.Length);
        Assert.Equal("""{"type":"Point","coordinates":[1,2]}""", GeometryTestText.GeoJsonOf(ewkb));
    }

    [Theory]
    [InlineData("0.1")]
    [InlineData("-73.985699999999994")]
    [InlineData("89.99999999999997")]
    [InlineData("-0.000001")]
    [InlineData("12.345678901234567")]
    [InlineData("1e-5")]
    [InlineData("-1.5E1")]
    [InlineData("45")]
    [InlineData("0.30000000000000004")]
    [InlineData("89.999999999999999999999999")]
    public void CoordinatesAreTheDoublesDoubleParseGives(string number)
    {
        var (ewkb, _) = Encode($$"""{"type":"Point","coordinates":[{{number}},{{number}}]}""");
        var expected = double.Parse(number, CultureInfo.InvariantCulture);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(BinaryPrimitives.ReadDoubleLittleEndian(ewkb.AsSpan(9))));
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(BinaryPrimitives.ReadDoubleLittleEndian(ewkb.AsSpan(17))));
    }

    [Fact]
    public void RandomCoordinatesAreTheDoublesDoubleParseGives()
    {
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var value = (random.NextDouble() * 360 - 180).ToString("F" + random.Next(0, 16), CultureInfo.InvariantCulture);
            var (ewkb, _) = Encode($$"""{"type":"Point","coordinates":[{{value}},0]}""");
            Assert.Equal(double.Parse(value, CultureInfo.InvariantCulture), BinaryPrimitives.ReadDoubleLittleEndian(ewkb.AsSpan(9)));
        }
    }

    [Theory]
    [InlineData("""{"type":"Point","coordinates":[500000,4000000]}""", "coordinate (500000, 4000000) is outside longitude -180..180 / latitude -90..90: the file is probably in a projected coordinate system; GeoJSON is WGS 84 (RFC 7946).")]
    [InlineData("""{"type":"LineString","coordinates":[[0,0],[10,90.5]]}""", "coordinate (10, 90.5) is outside")]
    [InlineData("""{"type":"Curve","coordinates":[]}""", "unknown geometry type \"Curve\"")]
    [InlineData("""{"type":"Point","coordinates":[1]}""", "fewer than 2 numbers")]
    [InlineData("""{"type":"Point","coordinates":[1,"2"]}""", "a position holds a string, not a number")]
    [InlineData("""{"type":"LineString","coordinates":[[1,2]]}""", "a LineString has 1 position")]
    [InlineData("""{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}""", "a polygon ring has 3 positions: it needs at least 4")]
    [InlineData("""{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}""", "a polygon ring starts at (0, 0) and ends at (0, 1): a ring must end where it starts (closed).")]
    [InlineData("""{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[5,5]]]]}""", "a polygon ring has 3 positions")]
    [InlineData("""{"coordinates":[1,2]}""", "a geometry has no type.")]
    [InlineData("""{"type":"Polygon"}""", "a Polygon has no coordinates.")]
    [InlineData("""{"type":"GeometryCollection","coordinates":[1,2]}""", "a GeometryCollection has no geometries.")]
    [InlineData("""{"type":"GeometryCollection","geometries":[null]}""", "a geometry is a JSON object, not null.")]
    [InlineData("""{"type":"LineString","coordinates":{"a":1}}""", "coordinates is an object, not an array.")]
    [InlineData("""{"type":7,"coordinates":[1,2]}""", "a geometry's type is a number, not a string.")]
    public void RefusesWhatPostGisWouldNotTakeWithAReason(string geoJson, string reason) =>
        Assert.Contains(reason, Assert.Throws<FormatException>(() => Encode(geoJson)).Message);

    [Fact]
    public void ANegativeZeroClosesARingThatStartsAtZero()
    {
        var (ewkb, _) = Encode("""{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[-0.0,0]]]}""");
        Assert.Equal("""{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}""", GeometryTestText.GeoJsonOf(ewkb));
    }

    [Theory]
    [InlineData("""{"type":"Polygon","coordinates":[[[0,0],[1,0],""")]
    [InlineData("""{"coordinates":[[0,0],[1,1]],"type":"LineStr""")]
    [InlineData("""{"type":"Point","coordinates":[1.2""")]
    public void DataEndingInsideTheObjectIsNotAnErrorButFalse(string partial)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(partial), isFinalBlock: false, default);
        reader.Read();
        Assert.False(GeoJsonGeometry.TryToEwkb(ref reader, new EwkbWriter(), out _));
    }

    [Fact]
    public void OneWriterServesGeometryAfterGeometry()
    {
        var writer = new EwkbWriter();
        var first = Encode("""{"type":"LineString","coordinates":[[1,2],[3,4],[5,6]]}""", writer).Ewkb;
        var second = Encode("""{"type":"Point","coordinates":[7,8]}""", writer).Ewkb;
        Assert.Equal(9 + 4 + 3 * 16, first.Length);
        Assert.Equal("""{"type":"Point","coordinates":[7,8]}""", GeometryTestText.GeoJsonOf(second));
    }

    private static (byte[] Ewkb, WkbGeometryType Type) Encode(string geoJson, EwkbWriter? writer = null)
    {
        writer ??= new EwkbWriter();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(geoJson));
        reader.Read();
        Assert.True(GeoJsonGeometry.TryToEwkb(ref reader, writer, out var type));
        return (writer.ToArray(), type);
    }
}
