using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Maps;
using CartoSelfHosted.TestSupport;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Workspace;

/// <summary>
/// The dataset catalog: read whole when a connection is first listed, kept current by workspace-subscriber on
/// data-changed events, read again on request, and only for those who may use the connection.
/// </summary>
public sealed class CatalogApiTests(ConnectionsEnvironment environment) : IClassFixture<ConnectionsEnvironment>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AConnectionsSchemasTablesAndColumnsAreWhatItsLoginMayRead()
    {
        var name = await CreateConnectionAsync("private");
        using var workspace = environment.Workspace.CreateClient(environment.AdminA);

        var schemas = await workspace.GetFromJsonAsync<JsonElement>($"/api/v3/connections/{name}/resources", Cancellation);
        // (Another test adds tables to public; gis is this database's alone.)
        var listed = schemas.GetProperty("items").EnumerateArray()
            .ToDictionary(schema => schema.GetProperty("name").GetString()!, schema => schema.GetProperty("tables").GetInt64());
        Assert.Equal(["gis", "public"], listed.Keys.Order());
        Assert.Equal(1, listed["gis"]);
        Assert.Equal(2, schemas.GetProperty("total").GetInt64());

        // gis.payroll is not the connection's login's to read: it is in no listing.
        var tables = await workspace.GetFromJsonAsync<JsonElement>($"/api/v3/connections/{name}/resources/gis", Cancellation);
        var parks = Assert.Single(tables.GetProperty("items").EnumerateArray());
        Assert.Equal("parks", parks.GetProperty("name").GetString());
        Assert.Equal("table", parks.GetProperty("kind").GetString());
        Assert.Equal(["name:text", "area_ha:real", "geom:geometry(Polygon,4326)"], parks.GetProperty("columns").EnumerateArray()
            .Select(column => $"{column.GetProperty("name").GetString()}:{column.GetProperty("type").GetString()}"));
        Assert.Equal(("geom", "Polygon", 4326), (parks.GetProperty("geometryColumn").GetString(), parks.GetProperty("geometryType").GetString(),
            parks.GetProperty("srid").GetInt32()));
        Assert.Equal((2, false), (parks.GetProperty("rowCount").GetInt64(), parks.GetProperty("rowCountEstimated").GetBoolean()));
        Assert.Equal([-10.0, 38, -3, 41], parks.GetProperty("bounds").EnumerateArray().Select(value => value.GetDouble()));
        Assert.True(parks.GetProperty("sizeBytes").GetInt64() > 0);
        await MapsApiTests.AssertProblemAsync(await workspace.GetAsync($"/api/v3/connections/{name}/resources/gis/payroll", Cancellation), 404,
            "gis.payroll");

        var one = await workspace.GetFromJsonAsync<JsonElement>($"/api/v3/connections/{name}/resources/public/rivers", Cancellation);
        Assert.Equal("LineString", one.GetProperty("geometryType").GetString());
    }

    [Fact]
    public async Task APrivateConnectionsCatalogIsItsOwnersAndPagingIsChecked()
    {
        var name = await CreateConnectionAsync("private");
        using var owner = environment.Workspace.CreateClient(environment.AdminA);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/api/v3/connections/{name}/resources", Cancellation)).StatusCode);

        using var editor = environment.Workspace.CreateClient(environment.EditorA);
        using var otherOrganization = environment.Workspace.CreateClient(environment.AdminB);
        foreach (var path in new[] { "", "/gis", "/gis/parks" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await editor.GetAsync($"/api/v3/connections/{name}/resources{path}", Cancellation)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await otherOrganization.GetAsync($"/api/v3/connections/{name}/resources{path}", Cancellation)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await editor.PostAsync($"/api/v3/connections/{name}/resources/refresh", null, Cancellation)).StatusCode);
        await MapsApiTests.AssertProblemAsync(await owner.GetAsync($"/api/v3/connections/{name}/resources?page=0", Cancellation), 400, "page");
        await MapsApiTests.AssertProblemAsync(await owner.GetAsync($"/api/v3/connections/{name}/resources/gis?page_size=1001", Cancellation), 400,
            "page_size");
    }

    [Fact]
    public async Task ATableAppearsWithinASecondOfItsDataChangedEventAndGoesWhenItIsDropped()
    {
        var organization = environment.Databases.A;
        using var workspace = environment.Workspace.CreateClient(environment.AdminA);
        var listing = $"/api/v3/connections/carto_dw/resources/{organization.Schema}";
        // The first listing reads the warehouse whole; what comes after is the events'.
        await workspace.GetFromJsonAsync<JsonElement>(listing, Cancellation);
        var table = "imported_" + Guid.NewGuid().ToString("N")[..8];
        await environment.Databases.AsOrganizationAsync(organization,
            $"CREATE TABLE {table} AS SELECT 'x' AS name, ST_SetSRID(ST_Point(1, 2), 4326) AS geom FROM generate_series(1, 3)");

        // Warm: the path's first event meets cold code (Debug builds) in every process.
        await environment.PublishDataChangedAsync(organization, table, "created");
        await WaitForAsync(workspace, listing, table, present: true);
        await environment.Databases.AsOrganizationAsync(organization, $"INSERT INTO {table} SELECT 'y', ST_SetSRID(ST_Point(3, 4), 4326)");
        var changed = Stopwatch.StartNew();
        await environment.PublishDataChangedAsync(organization, table, "rows");
        await Eventually.WaitUntilAsync(async () => RowCount(await TableAsync(workspace, listing, table)) == 4, Patience, "4 rows", Cancellation);
        Assert.True(changed.Elapsed < TimeSpan.FromSeconds(1), $"the catalog showed the change {changed.ElapsedMilliseconds} ms after its event");
        var row = (await TableAsync(workspace, listing, table))!.Value;
        Assert.Equal([1.0, 2, 3, 4], row.GetProperty("bounds").EnumerateArray().Select(value => value.GetDouble()));
        Assert.NotEqual(JsonValueKind.Null, row.GetProperty("changedAt").ValueKind);

        await environment.Databases.AsOrganizationAsync(organization, $"DROP TABLE {table}");
        var dropped = Stopwatch.StartNew();
        await environment.PublishDataChangedAsync(organization, table, "dropped");
        await WaitForAsync(workspace, listing, table, present: false);
        Assert.True(dropped.Elapsed < TimeSpan.FromSeconds(1), $"the dropped table went {dropped.ElapsedMilliseconds} ms after its event");
    }

    [Fact]
    public async Task ARefreshReadsTablesMadeOutsideThePlatform()
    {
        var name = await CreateConnectionAsync("shared");
        using var workspace = environment.Workspace.CreateClient(environment.AdminA);
        var listing = $"/api/v3/connections/{name}/resources/public";
        Assert.Equal(["rivers"], await NamesAsync(workspace, listing));

        var table = "lakes_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ExternalDatabase.AdminConnectionString)
                     { Database = environment.External.Database }.ConnectionString))
        {
            await admin.OpenAsync(Cancellation);
            await using var create = new NpgsqlCommand(
                $"CREATE TABLE public.{table} (name text); GRANT SELECT ON public.{table} TO \"{environment.External.User}\"", admin);
            await create.ExecuteNonQueryAsync(Cancellation);
        }
        // The platform does not see that database change: the catalog says what it read until asked to read again.
        Assert.DoesNotContain(table, await NamesAsync(workspace, listing));

        using var refresh = await workspace.PostAsync($"/api/v3/connections/{name}/resources/refresh", null, Cancellation);
        Assert.Equal(HttpStatusCode.Accepted, refresh.StatusCode);
        await WaitForAsync(workspace, listing, table, present: true);
        // An editor of the organization reads a shared connection's catalog too.
        using var editor = environment.Workspace.CreateClient(environment.EditorA);
        Assert.Contains(table, await NamesAsync(editor, listing));
    }

    [Fact]
    public async Task ADroppedTablesSavedMapsAreMarkedBrokenAndMendedWhenItIsMadeAgain()
    {
        var organization = environment.Databases.A;
        var table = "mapped_" + Guid.NewGuid().ToString("N")[..8];
        await environment.Databases.AsOrganizationAsync(organization, $"CREATE TABLE {table} (name text, geom geometry(Point, 4326))");
        using var workspace = environment.Workspace.CreateClient(environment.AdminA);
        // One map names the table unqualified (in the organization's schema), one with its schema and in upper case, as people write.
        var unqualified = await SaveMapAsync(workspace, table);
        var qualified = await SaveMapAsync(workspace, $"{organization.Schema}.{table.ToUpperInvariant()}");
        var elsewhere = await SaveMapAsync(workspace, "some_other_table");

        await environment.Databases.AsOrganizationAsync(organization, $"DROP TABLE {table}");
        await environment.PublishDataChangedAsync(organization, table, "dropped");
        foreach (var map in new[] { unqualified, qualified })
        {
            await Eventually.WaitUntilAsync(async () => (await BrokenAsync(workspace, map)).Count == 1, Patience, $"map {map} marked broken", Cancellation);
            var broken = Assert.Single(await BrokenAsync(workspace, map));
            Assert.Equal("d", broken.GetProperty("id").GetString());
            Assert.Contains($"{table} of the connection 'carto_dw' was dropped", broken.GetProperty("reason").GetString());
        }
        Assert.Empty(await BrokenAsync(workspace, elsewhere));

        await environment.Databases.AsOrganizationAsync(organization, $"CREATE TABLE {table} (name text, geom geometry(Point, 4326))");
        await environment.PublishDataChangedAsync(organization, table, "created");
        await Eventually.WaitUntilAsync(async () => (await BrokenAsync(workspace, qualified)).Count == 0, Patience, "the map mended", Cancellation);
        Assert.Empty(await BrokenAsync(workspace, unqualified));
    }

    private static async Task<Guid> SaveMapAsync(HttpClient workspace, string source)
    {
        using var body = new StringContent(SavedMapsTests.Body(dataset: $$"""{"id": "d", "type": "table", "source": "{{source}}", "connectionName": "carto_dw"}"""),
            System.Text.Encoding.UTF8, "application/json");
        using var saved = await workspace.PostAsync("/api/v3/maps", body, Cancellation);
        Assert.True(saved.StatusCode == HttpStatusCode.Created, await saved.Content.ReadAsStringAsync(Cancellation));
        return (await saved.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("id").GetGuid();
    }

    private static async Task<List<JsonElement>> BrokenAsync(HttpClient workspace, Guid map) =>
        (await workspace.GetFromJsonAsync<JsonElement>($"/api/v3/maps/{map}", Cancellation)).GetProperty("brokenDatasets").EnumerateArray().ToList();

    private async Task<string> CreateConnectionAsync(string privacy)
    {
        var name = "cat_" + Guid.NewGuid().ToString("N")[..8];
        using var workspace = environment.Workspace.CreateClient(environment.AdminA);
        var created = await workspace.PostAsJsonAsync("/api/v3/connections", environment.External.ConnectionBody(name, privacy: privacy), Cancellation);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Cancellation));
        return name;
    }

    private static async Task<List<string>> NamesAsync(HttpClient workspace, string listing) =>
        (await workspace.GetFromJsonAsync<JsonElement>(listing + "?page_size=1000", Cancellation)).GetProperty("items").EnumerateArray()
            .Select(item => item.GetProperty("name").GetString()!).ToList();

    private static async Task<JsonElement?> TableAsync(HttpClient workspace, string listing, string table)
    {
        var items = (await workspace.GetFromJsonAsync<JsonElement>(listing + "?page_size=1000", Cancellation)).GetProperty("items");
        return items.EnumerateArray().Where(item => item.GetProperty("name").GetString() == table).Select(item => (JsonElement?)item).FirstOrDefault();
    }

    private static long? RowCount(JsonElement? table) => table?.GetProperty("rowCount").GetInt64();

    private static Task WaitForAsync(HttpClient workspace, string listing, string table, bool present) =>
        Eventually.WaitUntilAsync(async () => (await TableAsync(workspace, listing, table) is not null) == present, Patience,
            $"{table} {(present ? "in" : "gone from")} the catalog", Cancellation);
}
