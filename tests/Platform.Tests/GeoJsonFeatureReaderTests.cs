using System.Text;
using CartoSelfHosted.Platform.Imports;
using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.Platform.Tests;

/// <summary>GeoJSON and GeoJSON text sequences read feature by feature, from streams that give their bytes in any slicing.</summary>
public sealed class GeoJsonFeatureReaderTests
{
    [Fact]
    public void ReadsAFeatureCollectionsPropertiesAndGeometries()
    {
        var (reader, features) = ReadAll("""
            {"type": "FeatureCollection", "features": [
              {"type": "Feature", "properties": {"name": "Zoë \"Z\" \u00e9", "population": 12.50, "big": 1e3, "open": true, "closed": false,
                "nothing": null, "tags": ["a", {"b": 1}], "address": {"street": "Gran Vía", "number": 1}},
               "geometry": {"type": "Point", "coordinates": [-3.7038, 40.4168]}},
              {"type": "Feature", "properties": {"name": "second"}, "geometry": null}
            ]}
            """);
        Assert.Equal("geojson", reader.Format);
        Assert.Equal("GeoJSON geometry", reader.GeometrySource);
        Assert.Equal(["name", "population", "big", "open", "closed", "nothing", "tags", "address"], reader.Fields);
        Assert.Equal(2, features.Count);
        Assert.Equal(
            [
                FieldValue.String("Zoë \"Z\" é"),
                new FieldValue(FieldKind.Number, "12.50"),
                new FieldValue(FieldKind.Number, "1e3"),
                new FieldValue(FieldKind.Boolean, "true"),
                new FieldValue(FieldKind.Boolean, "false"),
                FieldValue.Null,
                new FieldValue(FieldKind.Json, """["a", {"b": 1}]"""),
                new FieldValue(FieldKind.Json, """{"street": "Gran Vía", "number": 1}"""),
            ],
            features[0].Values);
        Assert.Equal(WkbGeometryType.Point, features[0].Geometry!.Kind);
        Assert.Equal("""{"type":"Point","coordinates":[-3.7038,40.4168]}""", GeometryTestText.GeoJsonOf(features[0].Geometry!.Ewkb));
        Assert.Null(features[1].Geometry);
        Assert.Equal("second", Value(reader, features[1], "name").Text);
        Assert.Equal(FieldKind.Null, Value(reader, features[1], "population").Kind);
    }

    [Theory]
    [InlineData("""{"type":"FeatureCollection","name":"places","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"bbox":[0,0,10,10],"features":[F1,F2]}""")]
    [InlineData("""{"features":[F1,F2],"bbox":[0,0,10,10],"crs":{"type":"name","properties":{"name":"EPSG:4326"}},"name":"places","type":"FeatureCollection"}""")]
    [InlineData("""{"bbox":[0,0,10,10],"features":[F1,F2],"type":"FeatureCollection","crs":{"type":"EPSG","properties":{"code":4326}}}""")]
    [InlineData("""{"type":"FeatureCollection","crs":null,"metadata":{"features":[{"not":"these"}]},"features":[F1,F2]}""")]
    public void FeatureCollectionMembersComeInAnyOrder(string template)
    {
        var json = template
            .Replace("F1", """{"properties":{"a":1},"geometry":{"coordinates":[1,2],"type":"Point"},"type":"Feature"}""")
            .Replace("F2", """{"geometry":{"type":"LineString","bbox":[0,0,1,1],"coordinates":[[0,0],[1,1]]},"type":"Feature","foreign":{"x":[1,2]},"properties":{"a":2}}""");
        var (reader, features) = ReadAll(json);
        Assert.Equal(["a"], reader.Fields);
        Assert.Equal(["1", "2"], features.Select(feature => feature.Values[0].Text));
        Assert.Equal("""{"type":"Point","coordinates":[1,2]}""", GeometryTestText.GeoJsonOf(features[0].Geometry!.Ewkb));
        Assert.Equal(WkbGeometryType.LineString, features[1].Geometry!.Kind);
    }

    [Fact]
    public void PropertiesSeenLateAreAppendedAndEarlierFeaturesHaveShorterValues()
    {
        var (reader, features) = ReadAll("""
            {"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"a":1},"geometry":null},
              {"type":"Feature","properties":{"b":"x","a":2},"geometry":null},
              {"type":"Feature","properties":{},"geometry":null},
              {"type":"Feature","properties":null,"geometry":null},
              {"type":"Feature","properties":{"c":true,"a":3,"b":"y"},"geometry":null}
            ]}
            """);
        Assert.Equal(["a", "b", "c"], reader.Fields);
        Assert.Equal([new FieldValue(FieldKind.Number, "1")], features[0].Values);
        Assert.Equal([new FieldValue(FieldKind.Number, "2"), FieldValue.String("x")], features[1].Values);
        Assert.All(features[2].Values, value => Assert.Equal(FieldValue.Null, value));
        Assert.All(features[3].Values, value => Assert.Equal(FieldValue.Null, value));
        Assert.Equal([new FieldValue(FieldKind.Number, "3"), FieldValue.String("y"), new FieldValue(FieldKind.Boolean, "true")], features[4].Values);
    }

    [Fact]
    public void APropertyFirstSeenInFeature5000IsAppended()
    {
        var json = new StringBuilder("""{"type":"FeatureCollection","features":[""");
        for (var i = 1; i <= 5000; i++)
        {
            var late = i == 5000 ? ",\"late\":\"yes\"" : "";
            json.Append(i > 1 ? "," : "").Append($$$"""{"type":"Feature","properties":{"n":{{{i}}}{{{late}}}},"geometry":{"type":"Point","coordinates":[0,0]}}""");
        }
        var (reader, features) = ReadAll(json.Append("]}").ToString());
        Assert.Equal(["n", "late"], reader.Fields);
        Assert.Equal(5000, features.Count);
        Assert.Single(features[4998].Values);
        Assert.Equal([new FieldValue(FieldKind.Number, "5000"), FieldValue.String("yes")], features[4999].Values);
    }

    [Fact]
    public void ATopLevelIdIsAFieldUnlessAPropertyIsCalledId()
    {
        var (reader, features) = ReadAll("""
            {"type":"FeatureCollection","features":[
              {"type":"Feature","id":"way/1","properties":{"name":"a"},"geometry":null},
              {"id":17,"type":"Feature","properties":{"name":"b"},"geometry":null},
              {"type":"Feature","properties":{"name":"c","id":"mine"},"id":99,"geometry":null},
              {"type":"Feature","properties":{"id":null},"id":100,"geometry":null},
              {"type":"Feature","properties":{"name":"e"},"geometry":null}
            ]}
            """);
        Assert.Equal(["name", "id"], reader.Fields);
        Assert.Equal(FieldValue.String("way/1"), Value(reader, features[0], "id"));
        Assert.Equal(new FieldValue(FieldKind.Number, "17"), Value(reader, features[1], "id"));
        Assert.Equal(FieldValue.String("mine"), Value(reader, features[2], "id"));
        Assert.Equal(FieldValue.Null, Value(reader, features[3], "id"));
        Assert.Equal(FieldValue.Null, Value(reader, features[4], "id"));
    }

    [Fact]
    public void ASingleFeatureOrAGeometryIsAFileOfOneFeature()
    {
        var (reader, features) = ReadAll("""
            {"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{"name":"alone"},"id":5,"type":"Feature"}
            """);
        Assert.Equal(["name", "id"], reader.Fields);
        Assert.Equal(WkbGeometryType.Polygon, Assert.Single(features).Geometry!.Kind);

        (reader, features) = ReadAll("""{"coordinates":[[1,2],[3,4]],"type":"MultiPoint"}""");
        Assert.Empty(reader.Fields);
        Assert.Empty(Assert.Single(features).Values);
        Assert.Equal("""{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}""", GeometryTestText.GeoJsonOf(features[0].Geometry!.Ewkb));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t ")]
    [InlineData("""{"type":"FeatureCollection","features":[]}""")]
    [InlineData("""{"type":"FeatureCollection"}""")]
    [InlineData("""{"type":"FeatureCollection","features":null}""")]
    [InlineData("\uFEFF{\"type\":\"FeatureCollection\",\"features\":[]}")]
    public void NoFeaturesIsNotAnErrorForTheReader(string json) => Assert.Empty(ReadAll(json).Features);

    [Fact]
    public void AByteOrderMarkIsSkipped() =>
        Assert.Single(ReadAll("\uFEFF{\"type\":\"Feature\",\"properties\":{\"a\":1},\"geometry\":null}").Features);

    [Fact]
    public void ReadsAGeoJsonTextSequenceWithBlankLinesAndRecordSeparators()
    {
        var (reader, features) = ReadAll(
            "{\"type\":\"Feature\",\"properties\":{\"a\":1},\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]}}\n" +
            "\n" +
            "\u001e{\"type\":\"Feature\",\"properties\":{\"b\":\"x\"},\"geometry\":null}\n" +
            "   \r\n" +
            "\u001e{\"type\":\"Point\",\"coordinates\":[3,4]}\r\n" +
            "\u001e{\"type\":\"Feature\",\"id\":7,\"properties\":{\"a\":2},\"geometry\":null}",
            sequence: true);
        Assert.Equal("geojsonseq", reader.Format);
        Assert.Equal(["a", "b", "id"], reader.Fields);
        Assert.Equal(4, features.Count);
        Assert.Equal("""{"type":"Point","coordinates":[3,4]}""", GeometryTestText.GeoJsonOf(features[2].Geometry!.Ewkb));
        Assert.Equal(new FieldValue(FieldKind.Number, "7"), Value(reader, features[3], "id"));
    }

    [Theory]
    [InlineData(1, 300)]
    [InlineData(2, 400)]
    [InlineData(3, 512)]
    [InlineData(7, 1000)]
    public void BuffersRefilledAcrossTokenBoundariesReadTheSame(int bytesPerRead, int maxFeatureBytes)
    {
        // Small limits keep the buffer small, so refills fall inside tokens; padding moves where they fall.
        var limits = new ReaderLimits { MaxFeatureBytes = maxFeatureBytes };
        for (var padding = 0; padding < 40; padding++)
        {
            var json = new string(' ', padding) + ManyFeatures(60);
            var (expectedReader, expected) = ReadAll(json);
            var (reader, features) = ReadAll(json, limits: limits, bytesPerRead: bytesPerRead);
            Assert.Equal(expectedReader.Fields, reader.Fields);
            Assert.Equal(expected.Count, features.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Values, features[i].Values);
                Assert.Equal(expected[i].Geometry?.Ewkb, features[i].Geometry?.Ewkb);
            }
        }
    }

    [Fact]
    public void AStreamGivingOneByteAtATimeReadsTheSame()
    {
        var json = ManyFeatures(12_000);
        Assert.True(Encoding.UTF8.GetByteCount(json) > 2 * 1024 * 1024, "the file must span refills of the default buffer");
        var (_, expected) = ReadAll(json);
        var (_, features) = ReadAll(json, bytesPerRead: 1);
        Assert.Equal(12_000, features.Count);
        Assert.Equal(expected.Select(feature => feature.Values.Length), features.Select(feature => feature.Values.Length));
        Assert.Equal(expected[^1].Values, features[^1].Values);
        Assert.Equal(expected[^2].Geometry!.Ewkb, features[^2].Geometry!.Ewkb);

        var sequence = string.Join("\n", Enumerable.Range(1, 50).Select(i => $$"""{"type":"Feature","properties":{"n":{{i}},"s":"{{new string('x', i % 20)}}"},"geometry":null}"""));
        var (_, lines) = ReadAll(sequence, sequence: true, limits: new ReaderLimits { MaxFeatureBytes = 100 }, bytesPerRead: 1);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => i.ToString()), lines.Select(feature => feature.Values[0].Text));
    }

    [Fact]
    public void AFeatureLargerThanTheLimitIsRefused()
    {
        var big = new string('x', 5000);
        var json = $$"""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},"geometry":null},{"type":"Feature","properties":{"a":"{{big}}"},"geometry":null}]}""";
        var error = ReadError(json, limits: new ReaderLimits { MaxFeatureBytes = 1024 });
        Assert.Equal("feature 2", error.Location);
        Assert.Contains("larger than 1 KB", error.Message);

        // The same file fits when the limit allows it.
        Assert.Equal(2, ReadAll(json, limits: new ReaderLimits { MaxFeatureBytes = 8192 }).Features.Count);

        var sequence = "{\"type\":\"Feature\",\"properties\":{},\"geometry\":null}\n" + $$"""{"type":"Feature","properties":{"a":"{{big}}"},"geometry":null}""";
        error = ReadError(sequence, sequence: true, limits: new ReaderLimits { MaxFeatureBytes = 1024 });
        Assert.Equal("line 2", error.Location);

        error = ReadError($$"""{"type":"Feature","properties":{"a":"{{big}}"},"geometry":null}""", limits: new ReaderLimits { MaxFeatureBytes = 1024 });
        Assert.Equal("feature 1: this feature is larger than 1 KB, the most one may take.", error.Message);
    }

    [Fact]
    public void MoreDistinctPropertiesThanTheLimitAreRefused()
    {
        var error = ReadError("""
            {"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"a":1,"b":2},"geometry":null},
              {"type":"Feature","properties":{"a":1,"c":2,"d":3},"geometry":null}
            ]}
            """, limits: new ReaderLimits { MaxFields = 3 });
        Assert.Equal("feature 2", error.Location);
        Assert.Contains("more than 3 distinct properties", error.Message);
    }

    [Fact]
    public void AFileCutShortSaysWhere()
    {
        var json = ManyFeatures(9000);
        var thirdFeature = FeatureStart(json, 3);
        var error = ReadError(json[..(thirdFeature + 40)]);
        Assert.Equal("feature 3", error.Location);
        Assert.Equal("feature 3: the file ends in the middle of this feature: it was cut short.", error.Message);

        // Cut after a feature, and after the features.
        Assert.Contains("the file ends after feature 2, inside the FeatureCollection: it was cut short.", ReadError(json[..thirdFeature]).Message);
        Assert.Contains("it was cut short", ReadError(json[..json.LastIndexOf('}')]).Message);

        // Feature 8765 lies past a refill of the buffer.
        var position = FeatureStart(json, 8765);
        Assert.True(Encoding.UTF8.GetByteCount(json[..position]) > 1024 * 1024);
        Assert.Equal("feature 8765", ReadError(json[..(position + 25)]).Location);

        error = ReadError("{\"type\":\"Feature\",\"properties\":{}}\n{\"type\":\"Feature\",\"prop", sequence: true);
        Assert.Equal("line 2: the file ends in the middle of this feature: it was cut short.", error.Message);
    }

    [Fact]
    public void InvalidJsonMidFileSaysWhereAndWhatInWords()
    {
        var json = """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},"geometry":null},{"type":"Feature","properties":{"a":tru},"geometry":null}]}""";
        var error = ReadError(json);
        Assert.Equal("feature 2", error.Location);
        Assert.StartsWith("invalid JSON: ", error.Problem);
        Assert.DoesNotContain("LineNumber", error.Problem);
        Assert.Matches(@"\(byte offset \d+\)$", error.Problem);
        var offset = int.Parse(System.Text.RegularExpressions.Regex.Match(error.Problem, @"byte offset (\d+)").Groups[1].Value);
        Assert.InRange(offset, json.IndexOf("tru", StringComparison.Ordinal) - 2, json.IndexOf("tru", StringComparison.Ordinal) + 3);

        error = ReadError("{\"type\":\"Feature\",\"properties\":{}}\n\n{\"type\":\"Feature\",\"properties\":{\"a\":1,}}\n", sequence: true);
        Assert.Equal("line 3", error.Location);
        Assert.StartsWith("invalid JSON: ", error.Problem);

        Assert.Contains("invalid JSON", ReadError("""{"type":"FeatureCollection","features":[]} {"type":"Feature"}""").Message);

        // The JSON reader quotes a bad literal with all the buffer after it: the message keeps a few characters.
        var tail = string.Concat(Enumerable.Repeat(""",{"type":"Feature","properties":{"a":1},"geometry":null}""", 5000));
        error = ReadError("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":nul}}""" + tail + "]}");
        Assert.Equal("""feature 1: invalid JSON: 'nul}},{"type":"Featu…' is an invalid JSON literal. Expected the literal 'null'. (byte offset 76)""", error.Message);
    }

    [Fact]
    public void AnInvalidGeometrySaysWhichFeature()
    {
        var error = ReadError("""
            {"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}},
              {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[500000,4000000]}}
            ]}
            """);
        Assert.Equal("feature 2", error.Location);
        Assert.Contains("coordinate (500000, 4000000) is outside longitude -180..180 / latitude -90..90: the file is probably in a projected coordinate system", error.Message);

        error = ReadError("{\"type\":\"Feature\",\"properties\":{}, \"geometry\":null}\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1]]]}}", sequence: true);
        Assert.Equal("line 2", error.Location);
        Assert.Contains("ring must end where it starts", error.Message);

        Assert.Contains("unknown geometry type \"Curve\"", ReadError("""{"type":"Feature","geometry":{"type":"Curve","coordinates":[]}}""").Message);
        Assert.Equal("feature 1", ReadError("""{"type":"Feature","geometry":"POINT(1 2)"}""").Location);
    }

    [Theory]
    [InlineData("""{"foo":1}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""42""")]
    [InlineData("""{"type":"Topology","objects":{}}""")]
    public void WhatIsNotGeoJsonIsRefused(string json)
    {
        var error = ReadError(json);
        Assert.True(error.Message.Contains("not GeoJSON: expected a FeatureCollection, a Feature or a geometry")
            || error.Message.Contains("unknown geometry type \"Topology\""), error.Message);
    }

    [Fact]
    public void ACrsOtherThanWgs84IsRefusedBeforeOrAfterTheFeatures()
    {
        var before = ReadError("""{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},"features":[]}""");
        Assert.Null(before.Location);
        Assert.Contains("urn:ogc:def:crs:EPSG::3857", before.Message);
        Assert.Contains("reprojection of GeoJSON is not supported", before.Message);

        using var reader = Open("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null}],"crs":{"type":"EPSG","properties":{"code":25830}}}""");
        Assert.True(reader.TryRead(out _));
        var after = Assert.Throws<ImportFormatException>(() => reader.TryRead(out _));
        Assert.Contains("EPSG:25830", after.Message);

        Assert.Contains("\"EPSG:3857\"", ReadError("""{"type":"FeatureCollection","crs":"EPSG:3857","features":[]}""").Message);
        Assert.Contains("""{"type":"link",""", ReadError("""{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"x.prj"}},"features":[]}""").Message);
    }

    [Fact]
    public void TextThatIsNotUtf8IsRefusedWithAHint()
    {
        var bytes = Encoding.Latin1.GetBytes("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Cádiz"},"geometry":null}]}""");
        using var reader = GeoJsonFeatureReader.Open(new MemoryStream(bytes), sequence: false, new ReaderLimits());
        var error = Assert.Throws<ImportFormatException>(() => reader.TryRead(out _));
        Assert.Equal("feature 1", error.Location);
        Assert.Contains("not valid UTF-8", error.Message);
    }

    [Fact]
    public void ObjectsThatAreNotFeaturesInsideTheCollectionAreRefused()
    {
        Assert.Contains("a feature is a number, not an object.", ReadError("""{"type":"FeatureCollection","features":[1]}""").Message);
        Assert.Contains("properties are an array", ReadError("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":[1]}]}""").Message);
        Assert.Contains("a GeoJSON text sequence has a Feature per line; this line has an array", ReadError("[1]\n", sequence: true).Message);
    }

    /// <summary>A FeatureCollection of varied features: properties in changing orders, escapes, nested JSON, every geometry type.</summary>
    private static string ManyFeatures(int count)
    {
        string[] geometries =
        [
            """{"type":"Point","coordinates":[-3.70379,40.416775]}""",
            """{"coordinates":[[0.5,1.25],[2,3,4]],"type":"LineString"}""",
            """{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,0]]]}""",
            """{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}""",
            """{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"MultiPoint","coordinates":[[3,4]]}]}""",
            "null",
        ];
        var json = new StringBuilder("""{"type":"FeatureCollection","name":"many","features":[""").Append('\n');
        for (var i = 0; i < count; i++)
        {
            var properties = (i % 3) switch
            {
                0 => $$"""{"name":"place \"{{i}}\" caf\u00e9","n":{{i}},"ratio":{{i}}.5e-1,"ok":true}""",
                1 => $$"""{"n":{{i}},"name":"Ünïcödé {{i}}","tags":[1,"two",{"three":3}],"ok":false,"none":null}""",
                _ => $$"""{"extra":{"deep":[{"x":{{i}}}]},"n":-{{i}}}""",
            };
            json.Append(i > 0 ? ",\n" : "").Append(i % 2 == 0
                ? $$"""{"type":"Feature","id":{{i}},"properties":{{properties}},"geometry":{{geometries[i % geometries.Length]}}}"""
                : $$"""{"geometry":{{geometries[i % geometries.Length]}},"properties":{{properties}},"type":"Feature"}""");
        }
        return json.Append("\n]}\n").ToString();
    }

    /// <summary>Where feature <paramref name="number"/> of <see cref="ManyFeatures"/> starts: each has a line of its own.</summary>
    private static int FeatureStart(string json, int number)
    {
        var position = 0;
        for (var line = 0; line < number; line++)
        {
            position = json.IndexOf('\n', position) + 1;
        }
        return position;
    }

    private static FieldValue Value(GeoJsonFeatureReader reader, Feature feature, string field)
    {
        var index = reader.Fields.ToList().IndexOf(field);
        return index < feature.Values.Length ? feature.Values[index] : FieldValue.Null;
    }

    private static GeoJsonFeatureReader Open(string json, bool sequence = false, ReaderLimits? limits = null, int bytesPerRead = int.MaxValue) =>
        GeoJsonFeatureReader.Open(new SlicedStream(Encoding.UTF8.GetBytes(json), bytesPerRead), sequence, limits ?? new ReaderLimits());

    private static (GeoJsonFeatureReader Reader, List<Feature> Features) ReadAll(
        string json, bool sequence = false, ReaderLimits? limits = null, int bytesPerRead = int.MaxValue)
    {
        var features = new List<Feature>();
        using var reader = Open(json, sequence, limits, bytesPerRead);
        while (reader.TryRead(out var feature))
        {
            features.Add(feature);
        }
        Assert.False(reader.TryRead(out _));
        return (reader, features);
    }

    private static ImportFormatException ReadError(string json, bool sequence = false, ReaderLimits? limits = null) =>
        Assert.Throws<ImportFormatException>(() => ReadAll(json, sequence, limits));

    /// <summary>A stream that gives at most a few bytes per read, as a slow network would.</summary>
    private sealed class SlicedStream(byte[] bytes, int bytesPerRead) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var length = Math.Min(Math.Min(count, bytesPerRead), bytes.Length - _position);
            bytes.AsSpan(_position, length).CopyTo(buffer.AsSpan(offset));
            _position += length;
            return length;
        }

        public override void Flush() => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
