using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.TestSupport;
using Npgsql;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>Maps and tiles in the running platform: through the router and the HTTP cache, purged by cdn-invalidator.</summary>
public sealed class MapsApiTests(RunningPlatform running) : IClassFixture<RunningPlatform>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private PlatformInProcess Platform => running.Platform;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ATileChangesWithinOneSecondOfItsTablesDataChangedEventAndNotBefore()
    {
        await Platform.WaitHealthyAsync(Patience);
        var table = "tiled_" + Guid.NewGuid().ToString("N")[..8];
        await Platform.WarehouseAsync($"CREATE TABLE org_default.{table} (name text, geom geometry(Point, 4326)); " +
                             $"ALTER TABLE org_default.{table} OWNER TO org_default; " +
                             $"INSERT INTO org_default.{table} VALUES ('before', 'SRID=4326;POINT(10 10)')");
        var instantiation = await GetJsonAsync($"/api/v3/maps/carto_dw/table?name={table}");
        var dataUrl = instantiation.GetProperty("tilejson").GetProperty("url")[0].GetString()!;
        Assert.StartsWith(Platform.Router.ToString().TrimEnd('/'), dataUrl);
        var template = (await GetJsonAsync(dataUrl)).GetProperty("tiles")[0].GetString()!;
        var tileUrl = template.Replace("{z}/{x}/{y}", "0/0/0");

        var first = await GetAsync(tileUrl);
        var second = await GetAsync(tileUrl);
        Assert.Equal(("MISS", "HIT"), (CacheOf(first), CacheOf(second)));
        Assert.Equal(["before"], await NamesAsync(first));

        // A first change warms the path up (the services run Debug builds under test, and each meets its first event);
        // the second is the one timed.
        await ChangeAndWaitForTileAsync(table, tileUrl, "before", "warm");
        var elapsed = await ChangeAndWaitForTileAsync(table, tileUrl, "warm", "after");
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"the new tile came {elapsed.TotalMilliseconds:0} ms after the event");
        TestContext.Current.TestOutputHelper?.WriteLine($"new tile {elapsed.TotalMilliseconds:0} ms after the event");

        // The next instantiation names the new data with a new cache value.
        var again = await GetJsonAsync($"/api/v3/maps/carto_dw/table?name={table}");
        Assert.NotEqual(dataUrl, again.GetProperty("tilejson").GetProperty("url")[0].GetString());
    }

    [Fact]
    public async Task CartosOwnJsClientLoadsSourcesTilesAndWidgetsAndReadsOurErrorsThroughTheRouter()
    {
        await Platform.WaitHealthyAsync(Patience);
        var table = "client_" + Guid.NewGuid().ToString("N")[..8];
        await Platform.WarehouseAsync($"""
            CREATE TABLE org_default.{table} (name text, population int, geom geometry(Point, 4326));
            ALTER TABLE org_default.{table} OWNER TO org_default;
            INSERT INTO org_default.{table} VALUES
                ('Lisbon', 545000, 'SRID=4326;POINT(-9.14 38.72)'),
                ('Madrid', 3300000, 'SRID=4326;POINT(-3.7 40.42)'),
                ('Quito', 2800000, 'SRID=4326;POINT(-78.47 -0.18)');
            """);

        var seen = await CartoClient.RunAsync(Platform, "compat.mjs", Platform.DevToken, ("CARTO_TABLE", table));

        var tableSource = seen.GetProperty("table");
        Assert.Equal("3.0.0", tableSource.GetProperty("tilejson").GetString());
        Assert.StartsWith(Platform.Router + "api/v3/maps/carto_dw/table/", tableSource.GetProperty("tiles")[0].GetString());
        Assert.True(tableSource.GetProperty("accessTokenPassed").GetBoolean());
        Assert.Equal(3, tableSource.GetProperty("count").GetInt64());
        Assert.Equal(["name:string", "population:number", "geom:geometry"], tableSource.GetProperty("schema").EnumerateArray()
            .Select(field => $"{field.GetProperty("name")}:{field.GetProperty("type")}"));
        Assert.Equal(["Lisbon", "Madrid", "Quito"], NamesOf(tableSource));
        var madrid = tableSource.GetProperty("z0").EnumerateArray().Single(feature => feature.GetProperty("properties").GetProperty("name").GetString() == "Madrid");
        Assert.Equal(3300000, madrid.GetProperty("properties").GetProperty("population").GetInt32());
        // Decoded by @mapbox/vector-tile back to degrees: within a z0 tile's precision at the client's default
        // tileResolution (0.5: a 512-unit grid, 360° / 512).
        Assert.Equal(-3.7, madrid.GetProperty("lngLat")[0].GetDouble(), 360.0 / 512);
        Assert.Equal(40.42, madrid.GetProperty("lngLat")[1].GetDouble(), 360.0 / 512);

        var querySource = seen.GetProperty("query");
        Assert.StartsWith(Platform.Router + "api/v3/maps/carto_dw/query/", querySource.GetProperty("tiles")[0].GetString());
        Assert.Equal(["Madrid", "Quito"], NamesOf(querySource));

        var missing = seen.GetProperty("missing");
        Assert.Equal("CartoAPIError", missing.GetProperty("name").GetString());
        Assert.Contains("Not found (404): There is no table 'no_such_table'", missing.GetProperty("message").GetString());

        // The widgets, as the client returns them: the same figures as SQL over the three cities.
        var widgets = seen.GetProperty("widgets");
        Assert.Equal(6645000, widgets.GetProperty("formula").GetProperty("value").GetInt64());
        Assert.Equal(3300000 - 545000, widgets.GetProperty("custom").GetProperty("value").GetInt64());
        Assert.Equal(["Madrid:3300000", "_carto_others:3345000"], widgets.GetProperty("categories").EnumerateArray()
            .Select(category => $"{category.GetProperty("name")}:{category.GetProperty("value")}"));
        Assert.Equal([1, 1, 1], widgets.GetProperty("histogram").EnumerateArray().Select(bin => bin.GetInt32()));
        Assert.Equal((545000, 3300000), (widgets.GetProperty("range").GetProperty("min").GetInt32(), widgets.GetProperty("range").GetProperty("max").GetInt32()));
        var page = widgets.GetProperty("table");
        Assert.Equal(3, page.GetProperty("totalCount").GetInt32());
        Assert.Equal(["Madrid", "Quito"], page.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("name").GetString()));
        Assert.Equal(2, widgets.GetProperty("inIberia").GetProperty("value").GetInt32());
        Assert.Equal(545000 + 2800000, widgets.GetProperty("filtered").GetProperty("value").GetInt64());
        // Lisbon and Quito: the filtered source's extent.
        Assert.Equal([-78.47, -0.18, -9.14, 38.72], widgets.GetProperty("extent").GetProperty("bbox").EnumerateArray().Select(value => value.GetDouble()));
        Assert.Contains("Column not found no_such_column", widgets.GetProperty("badColumn").GetProperty("message").GetString());

        // getFeatures (the pick model): the rows of the ids a tile gave, in their order, keys as the columns are named.
        var picked = widgets.GetProperty("picked");
        Assert.Equal(2, picked.GetProperty("metadata").GetProperty("total").GetInt32());
        Assert.Equal(["Quito:2800000", "Lisbon:545000"], picked.GetProperty("rows").EnumerateArray()
            .Select(row => $"{row.GetProperty("name").GetString()}:{row.GetProperty("population").GetInt32()}"));
        var ids = tableSource.GetProperty("z0").EnumerateArray().ToDictionary(feature => feature.GetProperty("properties").GetProperty("name").GetString()!,
            feature => feature.GetProperty("properties").GetProperty("_carto_feature_id").GetString());
        Assert.Equal([ids["Quito"], ids["Lisbon"]], picked.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("_carto_feature_id").GetString()));

        // prepareLabels: each polygon, a degree around its city, carries "west,south,east,north" of the whole.
        var madridArea = seen.GetProperty("labelled").GetProperty("z0").EnumerateArray()
            .Single(feature => feature.GetProperty("properties").GetProperty("name").GetString() == "Madrid");
        Assert.Equal([-4.7, 39.42, -2.7, 41.42], madridArea.GetProperty("properties").GetProperty("_carto_bbox").GetString()!.Split(',')
            .Select(value => Math.Round(double.Parse(value, CultureInfo.InvariantCulture), 6)));

        static string[] NamesOf(JsonElement source) => source.GetProperty("z0").EnumerateArray()
            .Select(feature => feature.GetProperty("properties").GetProperty("name").GetString()!).Order().ToArray();
    }

    /// <summary>
    /// Renames the table's rows from <paramref name="from"/> to <paramref name="to"/>; checks the cached tile keeps the old
    /// name until the data-changed event is published, then returns how long after it the tile showed the new name.
    /// </summary>
    private async Task<TimeSpan> ChangeAndWaitForTileAsync(string table, string tileUrl, string from, string to)
    {
        await Platform.WarehouseAsync($"UPDATE org_default.{table} SET name = '{to}'");
        // Not before: without its event the cached tile (and the prepared copy behind it) still holds the old rows.
        await Task.Delay(TimeSpan.FromSeconds(1), Cancellation);
        Assert.Equal([from], await NamesAsync(await GetAsync(tileUrl)));

        var published = Stopwatch.StartNew();
        await PublishDataChangedAsync(table);
        string[] names;
        do
        {
            names = await NamesAsync(await GetAsync(tileUrl));
        }
        while (names.SequenceEqual([from]) && published.Elapsed < Patience);
        var elapsed = published.Elapsed;
        Assert.Equal([to], names);
        return elapsed;
    }

    private async Task PublishDataChangedAsync(string table)
    {
        await using var connection = new NpgsqlConnection(Platform.ConnectionString("metadata"));
        await connection.OpenAsync(Cancellation);
        await using var transaction = await connection.BeginTransactionAsync(Cancellation);
        var organization = new Guid("00000000-0000-0000-0000-000000000001");
        var message = new DataChangedMessage(organization, "default", "carto_dw", "org_default", table, DataChangedMessage.Changes.Rows, "test", null);
        await OutboxWriter.EnqueueAsync(transaction, MessagingTopology.Topics.DataChanged, message, message.OrderingKey, Cancellation);
        await transaction.CommitAsync(Cancellation);
    }

    private static async Task<string[]> NamesAsync(HttpResponseMessage tile)
    {
        Assert.Equal(HttpStatusCode.OK, tile.StatusCode);
        var layer = Assert.Single(VectorTile.Decode(await tile.Content.ReadAsByteArrayAsync(Cancellation)));
        return layer.Features.Select(feature => (string)feature.Properties["name"]).ToArray();
    }

    [Fact]
    public async Task AnApiAccessTokenGrantedOneTableRendersItThroughCartosClientAndNothingElseUntilItIsDeleted()
    {
        await Platform.WaitHealthyAsync(Patience);
        var table = "granted_" + Guid.NewGuid().ToString("N")[..8];
        var other = "other_" + Guid.NewGuid().ToString("N")[..8];
        await Platform.WarehouseAsync($"""
            CREATE TABLE org_default.{table} (name text, geom geometry(Point, 4326));
            ALTER TABLE org_default.{table} OWNER TO org_default;
            INSERT INTO org_default.{table} VALUES ('Lisbon', 'SRID=4326;POINT(-9.14 38.72)'), ('Madrid', 'SRID=4326;POINT(-3.7 40.42)');
            CREATE TABLE org_default.{other} (name text, geom geometry(Point, 4326));
            ALTER TABLE org_default.{other} OWNER TO org_default;
            """);
        // The installation's first sign-up makes the development token its admin's: a user's token, which makes tokens.
        using (var signUp = await Platform.Http.PostAsJsonAsync(new Uri(Platform.Router, "/api/v3/accounts/signup"),
            new { email = "admin@example.com", password = "correct horse battery staple" }, Cancellation))
        {
            Assert.True(signUp.StatusCode is HttpStatusCode.Created or HttpStatusCode.Forbidden, await signUp.Content.ReadAsStringAsync(Cancellation));
        }
        using var create = new HttpRequestMessage(HttpMethod.Post, new Uri(Platform.Router, "/api/v3/tokens"))
        {
            Content = JsonContent.Create(new
            {
                grants = new[] { new { connection_name = "carto_dw", source = table } },
                allowed_apis = new[] { "maps", "sql" },
            }),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);
        using var created = await Platform.Http.SendAsync(create, Cancellation);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Cancellation));
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("token").GetString()!;

        var seen = await CartoClient.RunAsync(Platform, "granted.mjs", token, ("CARTO_TABLE", table), ("CARTO_OTHER_TABLE", other));
        Assert.Equal(2, seen.GetProperty("granted").GetProperty("count").GetInt32());
        Assert.Equal(2, seen.GetProperty("granted").GetProperty("z0").GetInt32());
        Assert.Equal(2, seen.GetProperty("granted").GetProperty("formula").GetInt32());
        foreach (var refused in new[] { "otherTable", "querySource", "sql" })
        {
            var error = seen.GetProperty(refused);
            Assert.Equal("CartoAPIError", error.GetProperty("name").GetString());
            Assert.Contains("Unauthorized access (403): The access token is not granted", error.GetProperty("message").GetString());
        }

        // Its cached tile, through the HTTP cache, stops within a second of the token's deletion.
        var instantiation = await GetJsonAsync($"/api/v3/maps/carto_dw/table?name={table}", token);
        var template = (await GetJsonAsync(instantiation.GetProperty("tilejson").GetProperty("url")[0].GetString()!, token))
            .GetProperty("tiles")[0].GetString()!;
        var tileUrl = template.Replace("{z}/{x}/{y}", "0/0/0");
        using (var first = await GetAsync(tileUrl, token))
        using (var second = await GetAsync(tileUrl, token))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("HIT", CacheOf(second));
        }
        using var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri(Platform.Router, $"/api/v3/tokens/{token}"));
        delete.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);
        using (var deleted = await Platform.Http.SendAsync(delete, Cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        await Revocation.RefusedWithinASecondAsync(() => GetAsync(tileUrl, token), Cancellation);
    }

    [Fact]
    public async Task CartosOwnJsClientMapsAndQueriesATableOfAConnectionUsersAdded()
    {
        await Platform.WaitHealthyAsync(Patience);
        var external = await ExternalDatabase.CreateAsync();
        var name = "pg_" + Guid.NewGuid().ToString("N")[..8];
        using var create = new HttpRequestMessage(HttpMethod.Post, new Uri(Platform.Router, "/api/v3/connections"))
        {
            Content = JsonContent.Create(external.ConnectionBody(name)),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);
        using var created = await Platform.Http.SendAsync(create, Cancellation);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Cancellation));

        var seen = await CartoClient.RunAsync(Platform, "connection.mjs", Platform.DevToken, ("CARTO_CONNECTION", name), ("CARTO_TABLE", "gis.parks"));

        Assert.StartsWith(Platform.Router + $"api/v3/maps/{name}/table/", seen.GetProperty("tiles")[0].GetString());
        Assert.Equal(2, seen.GetProperty("count").GetInt64());
        Assert.Equal(["Monsanto", "Retiro"], seen.GetProperty("z0").EnumerateArray().Select(feature => feature.GetString()));
        Assert.Equal(1125, seen.GetProperty("sum").GetDouble());
        Assert.Equal(["Monsanto", "Retiro"], seen.GetProperty("rows").EnumerateArray().Select(row => row.GetString()));
    }

    private async Task<JsonElement> GetJsonAsync(string url, string? token = null)
    {
        var response = await GetAsync(url, token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancellation));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
    }

    /// <summary>A GET through the router with the token, by default the development token.</summary>
    private async Task<HttpResponseMessage> GetAsync(string url, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Platform.Router, url));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Platform.DevToken);
        return await Platform.Http.SendAsync(request, Cancellation);
    }

    private static string? CacheOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;
}
