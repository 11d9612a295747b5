using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Sql;
using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.Platform.Tiles;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.Integration.Tests.Maps;

/// <summary>
/// The Maps API of maps-api against a real warehouse: instantiation (CARTO's shape), TileJSON, tiles and GeoJSON,
/// and the bad inputs it must refuse. Run twice: with Redis (<see cref="MapsApiWithRedisTests"/>) and with Redis down
/// (<see cref="MapsApiWithoutRedisTests"/>), where every answer must be the same.
/// </summary>
public abstract class MapsApiTests(SqlEnvironment environment)
{
    protected static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    protected SqlEnvironment Environment => environment;

    [Fact]
    public async Task TableInstantiationHasCartosShapeAndItsTileJsonAndTilesHoldTheRows()
    {
        using var client = environment.ClientOf(environment.A);
        var map = await InstantiateAsync(client, "table", "name=cities&columns=name,population&client=test&v=3.4");

        Assert.Equal(4, map.GetProperty("nrows").GetInt64());
        Assert.True(map.GetProperty("size").GetInt64() > 0);
        Assert.Equal(["name:string", "population:number", "geom:geometry"],
            map.GetProperty("schema").EnumerateArray().Select(field => $"{field.GetProperty("name")}:{field.GetProperty("type")}"));
        var dataUrl = map.GetProperty("tilejson").GetProperty("url")[0].GetString()!;
        Assert.StartsWith("http://localhost/api/v3/maps/carto_dw/table/", dataUrl);
        Assert.Matches(@"[?&]cache=\d+", dataUrl);

        var tileJson = await client.GetFromJsonAsync<JsonElement>(dataUrl, Cancellation);
        Assert.Equal("3.0.0", tileJson.GetProperty("tilejson").GetString());
        var template = tileJson.GetProperty("tiles")[0].GetString()!;
        Assert.Contains("{z}/{x}/{y}", template);
        Assert.Contains("formatTiles=mvt", template);
        Assert.Equal([-78.47, -0.18, -3.7, 40.42], tileJson.GetProperty("bounds").EnumerateArray().Select(value => Math.Round(value.GetDouble(), 2)));
        var layer = tileJson.GetProperty("vector_layers")[0];
        Assert.Equal("Point", layer.GetProperty("geometry_type").GetString());
        Assert.Equal("Number", layer.GetProperty("fields").GetProperty("population").GetString());
        Assert.Equal("String", layer.GetProperty("fields").GetProperty("name").GetString());
        var stats = tileJson.GetProperty("tilestats").GetProperty("layers")[0];
        Assert.Equal(4, stats.GetProperty("count").GetInt64());
        var population = stats.GetProperty("attributes").EnumerateArray().Single(attribute => attribute.GetProperty("attribute").GetString() == "population");
        Assert.Equal(545000, population.GetProperty("min").GetDouble());
        Assert.Equal(3300000, population.GetProperty("max").GetDouble());
        var names = stats.GetProperty("attributes").EnumerateArray().Single(attribute => attribute.GetProperty("attribute").GetString() == "name");
        Assert.Equal(4, names.GetProperty("categories").GetArrayLength());

        // deck.gl's VectorTileLayer fetches properties_tiles whenever the field is there (an empty list too) and then
        // fails every tile: only boundary sources have them.
        Assert.False(tileJson.TryGetProperty("properties_tiles", out _));
        Assert.Equal(0.5, tileJson.GetProperty("tileResolution").GetDouble());

        var features = await TileFeaturesAsync(client, template, 0, 0, 0);
        Assert.Equal(["Lisbon", "Madrid", "Quito"], features.Select(feature => (string)feature.Properties["name"]).Order());
        Assert.All(features, feature => Assert.Equal(1, feature.GeometryType));
        Assert.Equal(3300000L, features.Single(feature => (string)feature.Properties["name"] == "Madrid").Properties["population"]);
        // Madrid at z6 is tile 31/24; Quito is not in it.
        var madrid = await TileFeaturesAsync(client, template, 6, 31, 24);
        Assert.Equal(["Madrid"], madrid.Select(feature => (string)feature.Properties["name"]));
    }

    [Theory]
    [InlineData("table", "name=cities")]
    [InlineData("query", "q=SELECT+*+FROM+cities")]
    public async Task FiltersOfTheInstantiationKeepOnlyTheirRowsInTileJsonTilesAndGeoJson(string kind, string source)
    {
        using var client = environment.ClientOf(environment.A);
        const string filters = """{"population": {"between": {"values": [[1000000, null]]}}, "name": {"stringSearch": {"values": ["o"]}}}""";
        var map = await InstantiateAsync(client, kind, source + "&filters=" + Uri.EscapeDataString(filters));
        Assert.Equal(1, map.GetProperty("nrows").GetInt64());
        var unfiltered = await InstantiateAsync(client, kind, source);
        Assert.NotEqual(unfiltered.GetProperty("id").GetString(), map.GetProperty("id").GetString());

        var tileJson = await client.GetFromJsonAsync<JsonElement>(map.GetProperty("tilejson").GetProperty("url")[0].GetString()!, Cancellation);
        Assert.Equal(1, tileJson.GetProperty("tilestats").GetProperty("layers")[0].GetProperty("count").GetInt64());
        // Quito: over a million, and an "o" in its name; Madrid has no "o", Lisbon too few people.
        var features = await TileFeaturesAsync(client, tileJson.GetProperty("tiles")[0].GetString()!, 0, 0, 0);
        Assert.Equal(["Quito"], features.Select(feature => (string)feature.Properties["name"]));
        var geoJson = await client.GetFromJsonAsync<JsonElement>(map.GetProperty("geojson").GetProperty("url")[0].GetString()!, Cancellation);
        Assert.Equal(1, geoJson.GetProperty("features").GetArrayLength());
    }

    [Theory]
    [InlineData("""{"no_such_column": {"in": {"values": [1]}}}""", "no_such_column")]
    [InlineData("""{"name": {"near": {"values": [1]}}}""", "near")]
    [InlineData("""[1, 2]""", "filters")]
    [InlineData("""{"name": """, "filters")]
    public async Task BadFiltersOfAnInstantiationAreProblems(string filters, string detail)
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync("/api/v3/maps/carto_dw/table?name=cities&filters=" + Uri.EscapeDataString(filters), Cancellation);
        await AssertProblemAsync(response, 400, detail);
    }

    [Theory]
    [InlineData(null, 512)]
    [InlineData("0.25", 256)]
    [InlineData("1", 1024)]
    [InlineData("4", 4096)]
    public async Task TileResolutionSetsTheTilesGrid(string? tileResolution, int extent)
    {
        using var client = environment.ClientOf(environment.A);
        var template = await TemplateAsync(client, "table", "name=cities" + (tileResolution is null ? "" : "&tileResolution=" + tileResolution));

        var response = await client.GetAsync(TileUrl(template, 0, 0, 0), Cancellation);
        var layer = Assert.Single(VectorTile.Decode(await response.Content.ReadAsByteArrayAsync(Cancellation)));
        Assert.Equal(extent, layer.Extent);
        // Madrid (-3.7°, 40.42°) on that grid: x from the west edge, y from the north one (Web Mercator), to a unit.
        var madrid = layer.Features.Single(feature => (string)feature.Properties["name"] == "Madrid").FirstVertex;
        Assert.Equal((-3.7 + 180) / 360 * extent, madrid.X, 1.0);
        var mercatorY = Math.Log(Math.Tan(Math.PI / 4 + 40.42 * Math.PI / 360));
        Assert.Equal((1 - mercatorY / Math.PI) / 2 * extent, madrid.Y, 1.0);
    }

    [Fact]
    public async Task PostedInstantiationFindsTheSameSourceAsGet()
    {
        using var client = environment.ClientOf(environment.A);
        var byGet = await InstantiateAsync(client, "table", "name=cities");
        var response = await client.PostAsJsonAsync("/api/v3/maps/carto_dw/table",
            new { name = "cities", spatialDataColumn = "geom", spatialDataType = "geo", tileResolution = "0.5", client = "test" }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var byPost = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(byGet.GetProperty("id").GetString(), byPost.GetProperty("id").GetString());

        // featureBbox as the client posts it, a JSON true.
        var withBboxByGet = await InstantiateAsync(client, "table", "name=cities&featureBbox=true");
        var withBbox = await client.PostAsJsonAsync("/api/v3/maps/carto_dw/table", new { name = "cities", featureBbox = true }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, withBbox.StatusCode);
        Assert.Equal(withBboxByGet.GetProperty("id").GetString(), (await withBbox.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("id").GetString());
        Assert.NotEqual(byGet.GetProperty("id").GetString(), withBboxByGet.GetProperty("id").GetString());
    }

    [Fact]
    public async Task QuerySourceBindsItsParametersInTilesAndGeoJson()
    {
        using var client = environment.ClientOf(environment.A);
        var map = await InstantiateAsync(client, "query",
            "q=" + Uri.EscapeDataString("SELECT name, population, geom FROM cities WHERE population > $1") + "&queryParameters=" + Uri.EscapeDataString("[1000000]"));
        Assert.Equal(2, map.GetProperty("nrows").GetInt64());
        var tileJson = await client.GetFromJsonAsync<JsonElement>(map.GetProperty("tilejson").GetProperty("url")[0].GetString()!, Cancellation);
        var template = tileJson.GetProperty("tiles")[0].GetString()!;

        var features = await TileFeaturesAsync(client, template, 0, 0, 0);
        Assert.Equal(["Madrid", "Quito"], features.Select(feature => (string)feature.Properties["name"]).Order());

        var geoJsonTile = await client.GetFromJsonAsync<JsonElement>(TileUrl(template, 0, 0, 0).Replace("formatTiles=mvt", "formatTiles=geojson"), Cancellation);
        Assert.Equal("FeatureCollection", geoJsonTile.GetProperty("type").GetString());
        Assert.Equal(2, geoJsonTile.GetProperty("features").GetArrayLength());

        var geoJson = await client.GetFromJsonAsync<JsonElement>(map.GetProperty("geojson").GetProperty("url")[0].GetString()!, Cancellation);
        var quito = geoJson.GetProperty("features").EnumerateArray().Single(feature => feature.GetProperty("properties").GetProperty("name").GetString() == "Quito");
        Assert.Equal([-78.47, -0.18], quito.GetProperty("geometry").GetProperty("coordinates").EnumerateArray().Select(value => value.GetDouble()));
    }

    [Fact]
    public async Task AnEmptyTileIs204AndAKnownTileAnswers304ToItsETag()
    {
        using var client = environment.ClientOf(environment.A);
        var template = await TemplateAsync(client, "table", "name=cities");

        // z3 tile 0/0 is the far north-west Pacific: no city there.
        var empty = await client.GetAsync(TileUrl(template, 3, 0, 0), Cancellation);
        Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);

        var tile = await client.GetAsync(TileUrl(template, 0, 0, 0), Cancellation);
        Assert.Equal(HttpStatusCode.OK, tile.StatusCode);
        Assert.Equal("application/vnd.mapbox-vector-tile", tile.Content.Headers.ContentType?.MediaType);
        Assert.True(tile.Headers.CacheControl is { Private: true, MaxAge.TotalMinutes: 30 }, tile.Headers.CacheControl?.ToString());
        Assert.Contains("table:carto_dw:", string.Join(' ', tile.Headers.GetValues("xkey")));
        var etag = tile.Headers.ETag!;
        using var conditional = new HttpRequestMessage(HttpMethod.Get, TileUrl(template, 0, 0, 0));
        conditional.Headers.IfNoneMatch.Add(etag);
        var notModified = await client.SendAsync(conditional, Cancellation);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync(Cancellation));
    }

    [Fact]
    public async Task InvalidPolygonsAreRepairedAndNeverFailATile()
    {
        var table = "shapes_" + Guid.NewGuid().ToString("N")[..8];
        await environment.AsOrganizationAsync(environment.A, $"""
            CREATE TABLE {table} (name text, geom geometry(Geometry, 4326));
            INSERT INTO {table} VALUES
                ('square', 'SRID=4326;POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))'),
                ('bowtie', 'SRID=4326;POLYGON((20 0, 30 10, 30 0, 20 10, 20 0))'),
                ('pole', 'SRID=4326;POLYGON((-10 80, 10 80, 10 90, -10 90, -10 80))');
            """);
        using var client = environment.ClientOf(environment.A);
        var template = await TemplateAsync(client, "table", "name=" + table);

        var features = await TileFeaturesAsync(client, template, 0, 0, 0);
        Assert.Equal(["bowtie", "pole", "square"], features.Select(feature => (string)feature.Properties["name"]).Distinct().Order());
        Assert.All(features, feature => Assert.Equal(3, feature.GeometryType));
        var deep = await TileFeaturesAsync(client, template, 5, 17, 15);
        Assert.Contains("bowtie", deep.Select(feature => (string)feature.Properties["name"]));
    }

    [Theory]
    [InlineData("table")]
    [InlineData("query")]
    public async Task EveryFeatureCarriesTheIdOfItsWholeGeometryInEveryTileAndZoom(string kind)
    {
        var table = await ShapesAsync();
        using var client = environment.ClientOf(environment.A);
        // CARTO's Builder names _carto_feature_id among the columns: not a column, yet no error.
        var template = await TemplateAsync(client, kind, SourceOf(kind, table) + "&columns=name," + TileFeatureProperties.FeatureId);

        var z0 = await TileFeaturesAsync(client, template, 0, 0, 0);
        var ids = z0.ToDictionary(feature => (string)feature.Properties["name"], feature => (string)feature.Properties[TileFeatureProperties.FeatureId]);
        Assert.Equal(["road", "town", "wide"], ids.Keys.Order());
        Assert.Equal(3, ids.Values.Distinct().Count());
        Assert.All(ids.Values, id => Assert.Matches("^[0-9a-f]{16}$", id));
        // The polygon lies across the four tiles of z1: each holds a part of it, with the one id of the whole.
        var parts = await QuarterPartsAsync(client, template, "wide");
        Assert.Equal(4, parts.Count);
        Assert.All(parts, part => Assert.Equal(ids["wide"], part.Properties[TileFeatureProperties.FeatureId]));
        // Every source of the same rows gives them the same ids: the table's, its query's.
        var other = await TemplateAsync(client, kind == "table" ? "query" : "table", SourceOf(kind == "table" ? "query" : "table", table));
        Assert.Equal(ids.OrderBy(pair => pair.Key), (await TileFeaturesAsync(client, other, 0, 0, 0))
            .ToDictionary(feature => (string)feature.Properties["name"], feature => (string)feature.Properties[TileFeatureProperties.FeatureId])
            .OrderBy(pair => pair.Key));
    }

    [Theory]
    [InlineData("table")]
    [InlineData("query")]
    public async Task WithFeatureBboxEveryPartOfAPolygonCarriesTheBboxOfTheWholeAndNothingElseDoes(string kind)
    {
        var table = await ShapesAsync();
        using var client = environment.ClientOf(environment.A);
        var map = await InstantiateAsync(client, kind, SourceOf(kind, table) + "&featureBbox=true");
        var tileJson = await client.GetFromJsonAsync<JsonElement>(map.GetProperty("tilejson").GetProperty("url")[0].GetString()!, Cancellation);
        var template = tileJson.GetProperty("tiles")[0].GetString()!;

        var parts = await QuarterPartsAsync(client, template, "wide");
        Assert.Equal(4, parts.Count);
        Assert.All(parts, part => Assert.Equal("-20.5,-10.25,20.125,10", part.Properties[TileFeatureProperties.Bbox]));
        // Points and lines have none: deck.gl labels them from the tile's own geometry.
        var z0 = await TileFeaturesAsync(client, template, 0, 0, 0);
        Assert.Equal(["wide"], z0.Where(feature => feature.Properties.ContainsKey(TileFeatureProperties.Bbox)).Select(feature => (string)feature.Properties["name"]));

        // Without it, no feature carries one, and the source is another.
        var plain = await InstantiateAsync(client, kind, SourceOf(kind, table));
        Assert.NotEqual(map.GetProperty("id").GetString(), plain.GetProperty("id").GetString());
        var plainTileJson = await client.GetFromJsonAsync<JsonElement>(plain.GetProperty("tilejson").GetProperty("url")[0].GetString()!, Cancellation);
        Assert.All(await QuarterPartsAsync(client, plainTileJson.GetProperty("tiles")[0].GetString()!, "wide"),
            part => Assert.False(part.Properties.ContainsKey(TileFeatureProperties.Bbox)));
    }

    [Fact]
    public async Task ACopyPreparedByAnOlderMapsApiIsMadeAgainInTheCurrentLayout()
    {
        var table = await ShapesAsync();
        using var client = environment.ClientOf(environment.A);
        var template = await TemplateAsync(client, "table", "name=" + table);
        // What a copy made before features carried their id and bbox is like.
        var copy = $"{PreparedTileTables.SchemaName}.{new TileTableSource(environment.A.Schema, table, "geom", environment.A.Schema).PreparedName}";
        await environment.WarehouseScalarAsync<int>($"""
            ALTER TABLE {copy} DROP COLUMN {TileFeatureProperties.FeatureId}, DROP COLUMN {TileFeatureProperties.Bbox};
            UPDATE {PreparedTileTables.SchemaName}.prepared SET layout = 1 WHERE source_table = '{table}';
            SELECT 1;
            """);

        // A tile of a source instantiated before finds the copy lacking, and has it made again.
        var features = await TileFeaturesAsync(client, template, 0, 0, 0);
        Assert.Equal(3, features.Count);
        Assert.All(features, feature => Assert.True(feature.Properties.ContainsKey(TileFeatureProperties.FeatureId)));
        Assert.Equal(2, await environment.WarehouseScalarAsync<int>(
            $"SELECT layout FROM {PreparedTileTables.SchemaName}.prepared WHERE source_table = '{table}'"));
    }

    /// <summary>
    /// A table of the organization A of a polygon across the equator and the prime meridian (its bounds need every digit),
    /// a line and a point.
    /// </summary>
    private async Task<string> ShapesAsync()
    {
        var table = "labels_" + Guid.NewGuid().ToString("N")[..8];
        await environment.AsOrganizationAsync(environment.A, $"""
            CREATE TABLE {table} (name text, geom geometry(Geometry, 4326));
            INSERT INTO {table} VALUES
                ('wide', 'SRID=4326;POLYGON((-20.5 -10.25, 20.125 -10.25, 20.125 10, -20.5 10, -20.5 -10.25))'),
                ('road', 'SRID=4326;LINESTRING(-30 50, 30 50)'),
                ('town', 'SRID=4326;POINT(1 1)');
            """);
        return table;
    }

    private static string SourceOf(string kind, string table) => kind == "table" ? "name=" + table : "q=" + Uri.EscapeDataString($"SELECT * FROM {table}");

    /// <summary>The features named <paramref name="name"/> in the four tiles of z1.</summary>
    private static async Task<List<VectorTileFeature>> QuarterPartsAsync(HttpClient client, string template, string name)
    {
        var parts = new List<VectorTileFeature>();
        foreach (var (x, y) in new[] { (0, 0), (1, 0), (0, 1), (1, 1) })
        {
            parts.AddRange((await TileFeaturesAsync(client, template, 1, x, y)).Where(feature => (string)feature.Properties["name"] == name));
        }
        return parts;
    }

    [Fact]
    public async Task AViewIsReadAsItsOrganizationNeverAsTheAdministrator()
    {
        var view = "readers_" + Guid.NewGuid().ToString("N")[..8];
        // Whatever a view runs when read (here current_user; it could be a function of the organization's) runs as the reader.
        await environment.AsOrganizationAsync(environment.A, $"CREATE VIEW {view} AS SELECT name, current_user::text AS reader, geom FROM cities");
        using var client = environment.ClientOf(environment.A);
        var template = await TemplateAsync(client, "table", "name=" + view);

        var features = await TileFeaturesAsync(client, template, 0, 0, 0);
        Assert.Equal(3, features.Count);
        Assert.All(features, feature => Assert.Equal(environment.A.Schema, feature.Properties["reader"]));
    }

    [Fact]
    public async Task DensePointsAreThinnedAtLowZoomAndAllThereAtFullZoom()
    {
        var table = "dense_" + Guid.NewGuid().ToString("N")[..8];
        // 10,000 points within about 100 m of each other.
        await environment.AsOrganizationAsync(environment.A, $"""
            CREATE TABLE {table} AS
            SELECT i AS id, ST_SetSRID(ST_MakePoint(2.345 + (i % 100) * 0.00001, 48.855 + (i / 100) * 0.00001), 4326) AS geom
            FROM generate_series(0, 9999) AS i;
            """);
        using var client = environment.ClientOf(environment.A);
        var map = await InstantiateAsync(client, "table", "name=" + table);
        var tileJson = await client.GetFromJsonAsync<JsonElement>(map.GetProperty("tilejson").GetProperty("url")[0].GetString()!, Cancellation);
        var template = tileJson.GetProperty("tiles")[0].GetString()!;

        Assert.Single(await TileFeaturesAsync(client, template, 0, 0, 0));
        var dropped = tileJson.GetProperty("fraction_dropped_per_zoom").EnumerateArray().Select(value => value.GetDouble()).ToList();
        Assert.Equal(0.9999, dropped[0], 4);
        Assert.Equal(0, dropped[^1]);
        // At z14 the block (about 110 m) is in tile 8298/5636 and nothing is dropped.
        var all = await TileFeaturesAsync(client, template, 14, 8298, 5636);
        Assert.Equal(10000, all.Count);
    }

    [Theory]
    [InlineData("table", "name=no_such_table", 404, "no_such_table")]
    [InlineData("table", "name=cities%22%3B%20DROP%20TABLE%20cities%3B%20--", 404, "DROP TABLE")]
    [InlineData("table", "name=cities&columns=name,no_such_column", 400, "no_such_column")]
    [InlineData("table", "name=cities&spatialDataColumn=name", 400, "not a geometry")]
    [InlineData("table", "name=cities&spatialDataColumn=shape", 400, "shape")]
    [InlineData("query", "q=DELETE%20FROM%20cities", 400, "syntax error")]
    [InlineData("query", "q=DROP%20TABLE%20cities", 400, "syntax error")]
    [InlineData("query", "q=SET%20ROLE%20postgres", 400, "syntax error")]
    [InlineData("query", "q=SELECT%20*%20FROM%20cities%3B%20DROP%20TABLE%20cities", 400, "")]
    [InlineData("query", "q=WITH%20gone%20AS%20(DELETE%20FROM%20cities%20RETURNING%20*)%20SELECT%20*%20FROM%20gone", 400, "data-modifying")]
    [InlineData("query", "q=SELECT%20name%2C%20geom%20FROM%20cities%20WHERE%20nextval('runs_id_seq')%20%3E%200", 403, "read-only")]
    [InlineData("query", "q=SELECT%20*%20FROM%20no_such_table", 400, "no_such_table")]
    [InlineData("query", "q=SELECT%20*%2C%20pg_sleep(5)%20FROM%20cities", 400, "statement timeout")]
    [InlineData("query", "q=SELECT%20*%20FROM%20cities%20WHERE%20population%20%3E%20%241", 400, "parameters")]
    [InlineData("table", "name=cities&tileResolution=3", 400, "tileResolution")]
    [InlineData("table", "name=cities&spatialDataType=h3", 400, "spatialDataType")]
    [InlineData("table", "name=cities&featureBbox=yes", 400, "featureBbox")]
    public async Task BadInstantiationsAreProblemsAndChangeNothing(string kind, string query, int status, string detail)
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync($"/api/v3/maps/carto_dw/{kind}?{query}", Cancellation);

        await AssertProblemAsync(response, status, detail);
        Assert.Equal(4, await environment.WarehouseScalarAsync<long>($"SELECT count(*) FROM \"{environment.A.Schema}\".cities"));
    }

    [Fact]
    public async Task AnUnknownConnectionIs404()
    {
        using var client = environment.ClientOf(environment.A);
        await AssertProblemAsync(await client.GetAsync("/api/v3/maps/elsewhere/table?name=cities", Cancellation), 404, "elsewhere");
    }

    [Theory]
    [InlineData("25/0/0")]
    [InlineData("1/2/0")]
    [InlineData("1/0/2")]
    [InlineData("a/0/0")]
    [InlineData("0/-1/0")]
    [InlineData("0/0/0.5")]
    public async Task TilesOutOfRangeOrNotNumbersAre400(string zxy)
    {
        using var client = environment.ClientOf(environment.A);
        var template = await TemplateAsync(client, "table", "name=cities");
        var url = template.Replace("{z}/{x}/{y}", zxy);
        await AssertProblemAsync(await client.GetAsync(url, Cancellation), 400, zxy);
    }

    [Fact]
    public async Task AnotherOrganizationsSourcesAndTablesAreNotFound()
    {
        using var a = environment.ClientOf(environment.A);
        var template = await TemplateAsync(a, "table", "name=cities");
        using var b = environment.ClientOf(environment.B);

        await AssertProblemAsync(await b.GetAsync(TileUrl(template, 0, 0, 0), Cancellation), 404, "map source");
        await AssertProblemAsync(await b.GetAsync($"/api/v3/maps/carto_dw/table?name={environment.A.Schema}.cities", Cancellation), 404, "cities");
        await AssertProblemAsync(await b.GetAsync(
            "/api/v3/maps/carto_dw/query?q=" + Uri.EscapeDataString($"SELECT * FROM {environment.A.Schema}.cities"), Cancellation), 403, "permission denied");
    }

    public static async Task<JsonElement> InstantiateAsync(HttpClient client, string kind, string query, string connection = "carto_dw")
    {
        var response = await client.GetAsync($"/api/v3/maps/{Uri.EscapeDataString(connection)}/{kind}?{query}", Cancellation);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancellation));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
    }

    public static async Task<string> TemplateAsync(HttpClient client, string kind, string query, string connection = "carto_dw")
    {
        var map = await InstantiateAsync(client, kind, query, connection);
        var tileJson = await client.GetFromJsonAsync<JsonElement>(map.GetProperty("tilejson").GetProperty("url")[0].GetString()!, Cancellation);
        return tileJson.GetProperty("tiles")[0].GetString()!;
    }

    public static string TileUrl(string template, int z, int x, int y) =>
        template.Replace("{z}", z.ToString()).Replace("{x}", x.ToString()).Replace("{y}", y.ToString());

    public static async Task<IReadOnlyList<VectorTileFeature>> TileFeaturesAsync(HttpClient client, string template, int z, int x, int y)
    {
        var response = await client.GetAsync(TileUrl(template, z, x, y), Cancellation);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return [];
        }
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancellation));
        var layer = Assert.Single(VectorTile.Decode(await response.Content.ReadAsByteArrayAsync(Cancellation)));
        Assert.Equal("default", layer.Name);
        return layer.Features;
    }

    /// <summary>A problem of that status whose text names <paramref name="detail"/> (the thing the caller got wrong).</summary>
    public static async Task AssertProblemAsync(HttpResponseMessage response, int status, string detail)
    {
        var problem = await SqlQueryApiTests.AssertProblemAsync(response, (HttpStatusCode)status, type: null);
        Assert.Contains(detail, problem.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>The Maps API with Redis up: answers are kept there too.</summary>
public sealed class MapsApiWithRedisTests(SqlEnvironment environment) : MapsApiTests(environment), IClassFixture<SqlEnvironment>
{
    [Fact]
    public async Task TilesAndStatisticsAreKeptInRedisUnderTheirTablesTag()
    {
        var table = "kept_" + Guid.NewGuid().ToString("N")[..8];
        await Environment.AsOrganizationAsync(Environment.A, $"CREATE TABLE {table} AS SELECT * FROM cities");
        using var client = Environment.ClientOf(Environment.A);
        var map = await InstantiateAsync(client, "table", "name=" + table);
        var tileJson = await client.GetFromJsonAsync<JsonElement>(map.GetProperty("tilejson").GetProperty("url")[0].GetString()!, Cancellation);
        Assert.NotEmpty(await TileFeaturesAsync(client, tileJson.GetProperty("tiles")[0].GetString()!, 0, 0, 0));

        // cdn-invalidator drops exactly this tag when the table changes.
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        var tag = "tag:" + SurrogateKeys.Table("carto_dw", Environment.A.Schema, table);
        var keys = (await redis.GetDatabase().SetMembersAsync(tag)).Select(key => key.ToString()).ToList();
        var id = map.GetProperty("id").GetString();
        Assert.Contains(keys, key => key.StartsWith($"maps:{id}:") && key.EndsWith(":stats"));
        Assert.Contains(keys, key => key.StartsWith($"maps:{id}:") && key.EndsWith(":Mvt:0/0/0"));
    }
}

/// <summary>The same tests with Redis down (nothing listens at its address): every answer is the same, health says degraded.</summary>
public sealed class MapsApiWithoutRedisTests(RedisDownEnvironment environment) : MapsApiTests(environment), IClassFixture<RedisDownEnvironment>
{
    [Fact]
    public async Task HealthIsDegradedWithoutRedis()
    {
        using var client = Environment.Maps.CreateClient();
        var response = await client.GetAsync("/health", Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Degraded", await response.Content.ReadAsStringAsync(Cancellation));
    }
}

/// <summary>maps-api configured with a Redis address where nothing listens.</summary>
public sealed class RedisDownEnvironment : SqlEnvironment
{
    private readonly string _redis = $"127.0.0.1:{LoopbackPorts.Free()}";

    public override string RedisConnectionString => _redis;
}
