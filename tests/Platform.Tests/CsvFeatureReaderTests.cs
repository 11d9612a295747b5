using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using CartoSelfHosted.Platform.Imports;
using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.Platform.Tests;

public sealed class CsvFeatureReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsRowsAsStringsWithEmptyValuesNull(bool oneBytePerRead)
    {
        var (reader, features) = ReadAll("id,name,note\n1,Lisbon,\n2,,capital\n", oneBytePerRead);
        Assert.Equal("csv", reader.Format);
        Assert.Equal(["id", "name", "note"], reader.Fields);
        Assert.Null(reader.GeometrySource);
        Assert.Equal([["1", "Lisbon", null], ["2", null, "capital"]], features.Select(Texts));
        Assert.All(features, feature => Assert.Null(feature.Geometry));
        Assert.Equal(FieldKind.String, features[0].Values[0].Kind);
        Assert.Equal(FieldValue.Null, features[0].Values[2]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsQuotedFieldsWithEscapesDelimitersAndLineBreaks(bool oneBytePerRead)
    {
        var csv = "name,quote\r\n\"Smith, John\",\"He said \"\"hi\"\"\"\r\n\"multi\r\nline\nvalue\",\"\"\r\n\"\"\"\",plain\r\n";
        var (_, features) = ReadAll(csv, oneBytePerRead);
        Assert.Equal(
            [["Smith, John", "He said \"hi\""], ["multi\r\nline\nvalue", null], ["\"", "plain"]],
            features.Select(Texts));
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,4\n")]
    [InlineData("a,b\r\n1,2\r\n3,4\r\n")]
    [InlineData("a,b\r1,2\r3,4\r")]
    [InlineData("a,b\n1,2\n3,4")]
    [InlineData("a,b\n1,2\n\n\n3,4\n\n")]
    [InlineData("a,b\n1,2\n   \n3,4\n  ")]
    [InlineData("\na,b\r\n\r\n1,2\r\n3,4\r\n\r\n")]
    public void ReadsEveryLineEndAndSkipsBlankLines(string csv)
    {
        foreach (var oneBytePerRead in new[] { false, true })
        {
            var (reader, features) = ReadAll(csv, oneBytePerRead);
            Assert.Equal(["a", "b"], reader.Fields);
            Assert.Equal([["1", "2"], ["3", "4"]], features.Select(Texts));
        }
    }

    [Fact]
    public void KeepsTextAfterAClosingQuoteAsWritten() =>
        Assert.Equal([["abc", "x\"y\"", " \"q\""]], ReadAll("a,b,c\n\"ab\"c,x\"y\", \"q\"\n").Features.Select(Texts));

    [Fact]
    public void TrimsHeaderNamesAndNamesEmptyOnes()
    {
        var (reader, _) = ReadAll(" id ,,\"\",name\n1,2,3,4\n");
        Assert.Equal(["id", "column_2", "column_3", "name"], reader.Fields);
    }

    [Fact]
    public void AHeaderAloneHasNoFeatures()
    {
        var (reader, features) = ReadAll("a,b\n");
        Assert.Equal(["a", "b"], reader.Fields);
        Assert.Empty(features);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \r\n")]
    public void AnEmptyFileIsRefused(string csv) =>
        Assert.Contains("empty", Assert.Throws<ImportFormatException>(() => ReadAll(csv)).Message);

    [Fact]
    public void ReadsAfterTheEndReturnFalseAgain()
    {
        using var reader = CsvFeatureReader.Open(new MemoryStream("a\n1\n"u8.ToArray()), new ReaderLimits());
        Assert.True(reader.TryRead(out _));
        Assert.False(reader.TryRead(out _));
        Assert.False(reader.TryRead(out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SkipsAUtf8ByteOrderMark(bool oneBytePerRead)
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("name,ciudad\nJosé,Málaga\n")).ToArray();
        var (reader, features) = ReadAll(bytes, oneBytePerRead);
        Assert.Equal(["name", "ciudad"], reader.Fields);
        Assert.Equal([["José", "Málaga"]], features.Select(Texts));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, (byte)'a', 0, (byte)'\n', 0 })]
    [InlineData(new byte[] { 0xFE, 0xFF, 0, (byte)'a', 0, (byte)'\n' })]
    public void RefusesUtf16(byte[] bytes) =>
        Assert.Contains("UTF-16", Assert.Throws<ImportFormatException>(() => ReadAll(bytes)).Message);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsMultiByteUtf8CutAnywhere(bool oneBytePerRead)
    {
        var (reader, features) = ReadAll("名前,\"ciu\"\"dad\"\n東京,\"Zürich 🌍, \"\"CH\"\"\"\n", oneBytePerRead);
        Assert.Equal(["名前", "ciu\"dad"], reader.Fields);
        Assert.Equal([["東京", "Zürich 🌍, \"CH\""]], features.Select(Texts));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsLatin1WhenTheFileIsNotUtf8(bool oneBytePerRead)
    {
        byte[] bytes = [.. "name;price\ncaf"u8, 0xE9, .. ";2\nna"u8, 0xEF, .. "ve;3\n"u8];
        var (reader, features) = ReadAll(bytes, oneBytePerRead);
        Assert.Equal(["name", "price"], reader.Fields);
        Assert.Equal([["café", "2"], ["naïve", "3"]], features.Select(Texts));
    }

    [Fact]
    public void AUtf8CharacterCutByTheEncodingSampleStillMakesTheFileUtf8()
    {
        // "é" is two bytes: its first is the last byte of the 64 KB sample.
        var padding = new string('x', 64 * 1024 - "a\n".Length - 1);
        var (_, features) = ReadAll("a\n" + padding + "é\nü\n");
        Assert.Equal([padding + "é", "ü"], features.Select(feature => feature.Values[0].Text));
    }

    [Fact]
    public void RefusesBinaryFiles()
    {
        byte[] zip = [0x50, 0x4B, 0x03, 0x04, 0x14, 0, 0, 0, 0x08, 0];
        var error = Assert.Throws<ImportFormatException>(() => ReadAll(zip));
        Assert.StartsWith("the file is not text", error.Message);
        Assert.Null(error.Location);
    }

    [Theory]
    [InlineData("a;b;c\n1;2,5;3\n4;5;6\n", ';')]
    [InlineData("a\tb\tc\n1\t2,5\t3\n", '\t')]
    [InlineData("a|b|c\n1|2|3\n", '|')]
    [InlineData("a,b,c\n1,\"x;y;z\",3\n", ',')]
    [InlineData("a,b,c\n1,2;3,4\n", ',')]
    [InlineData("name\nx;y\n", ',')]
    [InlineData("name\nx\n", ',')]
    [InlineData("\"a;b\",c\n\"1;2\",3\n", ',')]
    public void DetectsTheDelimiter(string csv, char delimiter)
    {
        var (reader, features) = ReadAll(csv);
        var header = csv[..csv.IndexOf('\n')];
        Assert.Equal(header.Count(c => c == delimiter) + 1, reader.Fields.Count);
        Assert.All(features, feature => Assert.Equal(reader.Fields.Count, feature.Values.Length));
    }

    [Fact]
    public void ReadsTabsAndSemicolonsAsFields()
    {
        Assert.Equal([["1", "2,5", "3"]], ReadAll("a\tb\tc\n1\t2,5\t3\n").Features.Select(Texts));
        Assert.Equal([["x", "y,z"]], ReadAll("a;b\nx;\"y,z\"\n").Features.Select(Texts));
    }

    [Theory]
    [InlineData("a,b\n1,2\n1,2,3\n", "line 3", "3 fields but the header has 2")]
    [InlineData("a,b,c\n1,2,3\n\n1,2\n", "line 4", "2 fields but the header has 3")]
    [InlineData("a,b\n\"x\ny\",1\n1,2,3\n", "line 4", "3 fields")]
    [InlineData("a,b\r\n\"x\r\ny\r\nz\",1\r\n\r\n1\r\n", "line 6", "1 field but")]
    [InlineData("a,b,c\n1,2,3\n4,5,6\n7,8\n", "line 4", "every row needs")]
    public void RefusesRaggedRowsNamingTheirLine(string csv, string location, string problem)
    {
        foreach (var oneBytePerRead in new[] { false, true })
        {
            var error = Assert.Throws<ImportFormatException>(() => ReadAll(csv, oneBytePerRead));
            Assert.Equal(location, error.Location);
            Assert.Contains(problem, error.Message);
            Assert.StartsWith(location + ": ", error.Message);
        }
    }

    [Fact]
    public void RefusesAQuoteNeverClosedNamingWhereItOpened()
    {
        var error = Assert.Throws<ImportFormatException>(() => ReadAll("a,b\n1,2\n3,4\n5,\"never\n6,7\n8,9\n"));
        Assert.Equal("line 4", error.Location);
        Assert.Contains("never closed", error.Message);
    }

    [Fact]
    public void RefusesMoreColumnsThanTheLimit()
    {
        var error = Assert.Throws<ImportFormatException>(() => ReadAll("a,b,c,d\n1,2,3,4\n", limits: new ReaderLimits { MaxFields = 3 }));
        Assert.Equal("line 1", error.Location);
        Assert.Contains("4 columns", error.Message);
        Assert.Equal(["a", "b", "c"], ReadAll("a,b,c\n1,2,3\n", limits: new ReaderLimits { MaxFields = 3 }).Reader.Fields);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RefusesARecordLongerThanTheLimit(bool oneBytePerRead)
    {
        var limits = new ReaderLimits { MaxCsvRecordBytes = 1024 };
        var fits = "a\n" + new string('x', 1024) + "\n";
        Assert.Single(ReadAll(fits, oneBytePerRead, limits).Features);
        var error = Assert.Throws<ImportFormatException>(() => ReadAll(fits + new string('y', 1025) + "\nz\n", oneBytePerRead, limits));
        Assert.Equal("line 3", error.Location);
        Assert.Contains("longer than 1 KB", error.Message);
    }

    [Fact]
    public void A100MBFileWithoutALineBreakFailsFastInBoundedMemory()
    {
        var stream = new GeneratedStream(100L * 1024 * 1024, "name,value\n"u8.ToArray(), (byte)'x');
        // This thread's allocations: the other test classes run beside this one.
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<ImportFormatException>(() => ReadAll(stream));
        Assert.Equal("line 2", error.Location);
        Assert.Equal("line 2: the record is longer than 32 MB; is this a CSV file with a line per row?", error.Message);
        Assert.True(stream.Position < 40L * 1024 * 1024, $"read {stream.Position} bytes");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.True(allocated < 200L * 1024 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void AQuoteLeftOpenInALargeFileIsNamedWhenTheRecordOutgrowsTheLimit()
    {
        var stream = new GeneratedStream(10L * 1024 * 1024, "name,value\n1,2\n3,\"x\n"u8.ToArray(), (byte)'x');
        var error = Assert.Throws<ImportFormatException>(() => ReadAll(stream, limits: new ReaderLimits { MaxCsvRecordBytes = 1024 * 1024 }));
        Assert.Equal("line 3", error.Location);
        Assert.Contains("quoted field opened on line 3", error.Message);
        Assert.Contains("1 MB", error.Message);
    }

    /// <summary>
    /// The reader takes 64 KB at a time, whatever the stream hands out per read: this moves a record with every kind
    /// of content across that edge, one byte at a time, so that the edge falls inside quotes, between two quotes, in a
    /// CRLF and inside each multi-byte character once.
    /// </summary>
    [Fact]
    public void ReadsARecordCutByTheBufferEdgeAnywhere()
    {
        const string header = "a,b,c\n";
        const string tricky = "\"q\"\"\r\nz\",é🌍,\"x\"\r\n";
        var trickyBytes = Encoding.UTF8.GetByteCount(tricky);
        for (var shift = 0; shift <= trickyBytes + 2; shift++)
        {
            var padding = new string('p', 64 * 1024 - header.Length - ",y,z\n".Length - trickyBytes + shift);
            var csv = header + padding + ",y,z\n" + tricky + tricky + "last,,\n";
            foreach (var oneBytePerRead in new[] { false, true })
            {
                var (reader, features) = ReadAll(csv, oneBytePerRead);
                Assert.Equal(["a", "b", "c"], reader.Fields);
                Assert.Equal(
                    [[padding, "y", "z"], ["q\"\r\nz", "é🌍", "x"], ["q\"\r\nz", "é🌍", "x"], ["last", null, null]],
                    features.Select(Texts));
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsRecordsAcrossManyBufferEdges(bool oneBytePerRead)
    {
        var csv = new StringBuilder("id,text,note\n");
        var expected = new List<string?[]>();
        for (var i = 0; i < 6000; i++)
        {
            var text = i % 3 == 0 ? $"line one\nline \"two\" {i}" : $"plain, {i} ✓";
            var note = i % 5 == 0 ? null : new string('n', i % 40);
            csv.Append(i).Append(",\"").Append(text.Replace("\"", "\"\"")).Append("\",").Append(note).Append(i % 2 == 0 ? "\r\n" : "\n");
            expected.Add([i.ToString(System.Globalization.CultureInfo.InvariantCulture), text, note]);
        }
        var (_, features) = ReadAll(csv.ToString(), oneBytePerRead);
        Assert.Equal(expected, features.Select(Texts));
    }

    [Theory]
    [InlineData("name,lat,lon")]
    [InlineData("name,Latitude,Longitude")]
    [InlineData("name,LAT,LNG")]
    [InlineData("name,lat,long")]
    [InlineData("name, latitude ,lon")]
    [InlineData("name,y,x")]
    public void MakesPointsOfLatitudeAndLongitudeColumnsAndKeepsThemAsFields(string header)
    {
        var (reader, features) = ReadAll(header + "\nLisbon,38.7223,-9.1393\nnowhere,,\n");
        Assert.Equal("latitude, longitude", reader.GeometrySource);
        Assert.Equal(3, reader.Fields.Count);
        Assert.Equal((IEnumerable<string?>)["Lisbon", "38.7223", "-9.1393"], Texts(features[0]));
        AssertPoint(features[0].Geometry, -9.1393, 38.7223);
        Assert.Null(features[1].Geometry);
    }

    [Theory]
    [InlineData("38.7223")]
    [InlineData("-9.1393")]
    [InlineData("0.1")]
    [InlineData(".5")]
    [InlineData("5.")]
    [InlineData("-0.000001")]
    [InlineData("89.99999999999999")]
    [InlineData("12.345678901234567890")]
    [InlineData("1e1")]
    [InlineData(" 45.5 ")]
    [InlineData("-0")]
    public void ReadsCoordinatesAsDoubleParseDoes(string latitude)
    {
        var csv = $"lat,lon\n\"{latitude}\",0\n";
        var expected = double.Parse(latitude, System.Globalization.CultureInfo.InvariantCulture);
        AssertPoint(ReadAll(csv).Features[0].Geometry, 0, expected);
    }

    [Fact]
    public void ReadsLongitudeBeforeLatitude() =>
        AssertPoint(ReadAll("lng;lat\n2,5;41,25\n").Features[0].Geometry, 2.5, 41.25);

    [Theory]
    [InlineData("name,x,value")]
    [InlineData("name,lat,value")]
    [InlineData("name,latitude_dd,longitude_dd")]
    public void NeedsBothCoordinatesByTheirUsualNames(string header) =>
        Assert.Null(ReadAll(header + "\na,1,2\n").Reader.GeometrySource);

    [Fact]
    public void AnEmptyCoordinateMakesANullGeometry()
    {
        var (_, features) = ReadAll("lat,lon\n,5\n5,\n  , \n");
        Assert.All(features, feature => Assert.Null(feature.Geometry));
    }

    [Theory]
    [InlineData("lat,lon\n1,2\nabc,2\n", "line 3: latitude 'abc' is not a number")]
    [InlineData("lat,lon\n1,NaN\n", "line 2: longitude 'NaN' is not a number")]
    [InlineData("lat,lon\n95,2\n", "line 2: latitude 95 is out of range: it must be between -90 and 90")]
    [InlineData("lat,lon\n-45,-180.5\n", "line 2: longitude -180.5 is out of range: it must be between -180 and 180")]
    public void RefusesCoordinatesThatAreNot(string csv, string message) =>
        Assert.Equal(message, Assert.Throws<ImportFormatException>(() => ReadAll(csv)).Message);

    [Theory]
    [InlineData("the_geom", "POINT(1 2)", "WKT column the_geom")]
    [InlineData("WKT", "SRID=4326;POINT (1 2)", "WKT column WKT")]
    [InlineData("geom", "point(1 2)", "WKT column geom")]
    [InlineData("wkb", "0101000020E6100000000000000000F03F0000000000000040", "WKB column wkb")]
    [InlineData("geometry", "0101000000000000000000F03F0000000000000040", "WKB column geometry")]
    [InlineData("geojson", "\"{\"\"type\"\":\"\"Point\"\",\"\"coordinates\"\":[1,2]}\"", "GeoJSON column geojson")]
    [InlineData("Shape", "POINT(1 2)", "WKT column Shape")]
    public void ReadsAGeometryColumnWithoutKeepingItAsAField(string column, string value, string source)
    {
        foreach (var oneBytePerRead in new[] { false, true })
        {
            var (reader, features) = ReadAll($"id,{column},name\n1,,empty\n2,{value},two\n", oneBytePerRead);
            Assert.Equal(source, reader.GeometrySource);
            Assert.Equal(["id", "name"], reader.Fields);
            Assert.Null(features[0].Geometry);
            Assert.Equal((IEnumerable<string?>)["2", "two"], Texts(features[1]));
            AssertPoint(features[1].Geometry, 1, 2);
        }
    }

    [Fact]
    public void AGeometryColumnWinsOverLatitudeAndLongitude()
    {
        var (reader, features) = ReadAll("lat,lon,wkt\n10,20,POINT(1 2)\n");
        Assert.Equal("WKT column wkt", reader.GeometrySource);
        Assert.Equal(["lat", "lon"], reader.Fields);
        AssertPoint(features[0].Geometry, 1, 2);
    }

    [Fact]
    public void AColumnNamedLikeAGeometryButHoldingTextIsAField()
    {
        var (reader, features) = ReadAll("shape,lat,lon\ncircle,1,2\n");
        Assert.Equal("latitude, longitude", reader.GeometrySource);
        Assert.Equal(["shape", "lat", "lon"], reader.Fields);
        Assert.Equal("circle", features[0].Values[0].Text);
        AssertPoint(features[0].Geometry, 2, 1);
    }

    [Fact]
    public void AGeometryColumnFirstFilledFarDownIsDecidedWhenItIs()
    {
        var csv = new StringBuilder("id,the_geom\n");
        for (var i = 0; i < 1500; i++)
        {
            csv.Append(i).Append(",\n");
        }
        csv.Append("1500,POINT(3 4)\n");
        using var reader = CsvFeatureReader.Open(new MemoryStream(Encoding.UTF8.GetBytes(csv.ToString())), new ReaderLimits());
        Assert.Equal("geometry column the_geom", reader.GeometrySource);
        Assert.Equal(["id"], reader.Fields);
        var features = new List<Feature>();
        while (reader.TryRead(out var feature))
        {
            features.Add(feature);
        }
        Assert.Equal("WKT column the_geom", reader.GeometrySource);
        Assert.Equal(1501, features.Count);
        AssertPoint(features[^1].Geometry, 3, 4);
    }

    [Theory]
    [InlineData("id,the_geom\n1,POINT(1 2)\n2,POINT(nope)\n", "line 3: the_geom 'POINT(nope)' is not WKT")]
    [InlineData("id,wkb\n1,0101000000000000000000F03F0000000000000040\n2,01zz\n", "line 3: wkb '01zz' is not hex WKB")]
    public void RefusesAGeometryThatDoesNotParse(string csv, string message) =>
        Assert.StartsWith(message, Assert.Throws<ImportFormatException>(() => ReadAll(csv)).Message);

    private static void AssertPoint(GeometryValue? geometry, double x, double y)
    {
        Assert.NotNull(geometry);
        Assert.Equal(WkbGeometryType.Point, geometry.Kind);
        var ewkb = geometry.Ewkb;
        Assert.Equal(25, ewkb.Length);
        Assert.Equal(1, ewkb[0]);
        Assert.Equal(0x2000_0001u, BinaryPrimitives.ReadUInt32LittleEndian(ewkb.AsSpan(1)));
        Assert.Equal(4326, BinaryPrimitives.ReadInt32LittleEndian(ewkb.AsSpan(5)));
        Assert.Equal(x, BinaryPrimitives.ReadDoubleLittleEndian(ewkb.AsSpan(9)));
        Assert.Equal(y, BinaryPrimitives.ReadDoubleLittleEndian(ewkb.AsSpan(17)));
    }

    private static string?[] Texts(Feature feature) => [.. feature.Values.Select(value => value.Text)];

    private static (CsvFeatureReader Reader, List<Feature> Features) ReadAll(string csv, bool oneBytePerRead = false, ReaderLimits? limits = null) =>
        ReadAll(Encoding.UTF8.GetBytes(csv), oneBytePerRead, limits);

    private static (CsvFeatureReader Reader, List<Feature> Features) ReadAll(byte[] bytes, bool oneBytePerRead = false, ReaderLimits? limits = null) =>
        ReadAll(oneBytePerRead ? new OneBytePerReadStream(bytes) : new MemoryStream(bytes), limits);

    private static (CsvFeatureReader Reader, List<Feature> Features) ReadAll(Stream stream, ReaderLimits? limits = null)
    {
        using var reader = CsvFeatureReader.Open(stream, limits ?? new ReaderLimits());
        var features = new List<Feature>();
        while (reader.TryRead(out var feature))
        {
            features.Add(feature);
        }
        return (reader, features);
    }

    /// <summary>A stream that hands out one byte per read, so that every buffer edge falls everywhere once.</summary>
    private sealed class OneBytePerReadStream(byte[] bytes) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position == bytes.Length || buffer.IsEmpty)
            {
                return 0;
            }
            buffer[0] = bytes[_position++];
            return 1;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A stream of <paramref name="start"/> then <paramref name="filler"/> up to <paramref name="length"/> bytes, made as it is read.</summary>
    private sealed class GeneratedStream(long length, byte[] start, byte filler) : Stream
    {
        private long _position;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = (int)Math.Min(buffer.Length, length - _position);
            for (var i = 0; i < count; i++)
            {
                var position = _position + i;
                buffer[i] = position < start.Length ? start[position] : filler;
            }
            _position += count;
            return count;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
