using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Maps;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.Integration.Tests.Workspace;

/// <summary>
/// Connections to a PostgreSQL/PostGIS database of another cluster: tried before they are kept, private or shared,
/// and used by name by the Maps, SQL and widget APIs under the connection's own credentials.
/// </summary>
public sealed class ConnectionsApiTests(ConnectionsEnvironment environment) : IClassFixture<ConnectionsEnvironment>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private ExternalDatabase External => environment.External;

    [Fact]
    public async Task AConnectionsTablesBecomeTilesAndItsRowsSqlAnswers()
    {
        var name = await CreateAsync(environment.AdminA);
        using var maps = environment.Maps.CreateClient(environment.AdminA);

        var template = await MapsApiTests.TemplateAsync(maps, "table", "name=gis.parks", name);
        Assert.StartsWith($"http://localhost/api/v3/maps/{name}/table/", template);
        var features = await MapsApiTests.TileFeaturesAsync(maps, template, 0, 0, 0);
        Assert.Equal(["Monsanto", "Retiro"], features.Select(feature => (string)feature.Properties["name"]).Order());
        // A table name without a schema is in the connection's default schema (public unless it says otherwise).
        var rivers = await MapsApiTests.TemplateAsync(maps, "table", "name=rivers", name);
        Assert.Equal("Tagus", (string)Assert.Single(await MapsApiTests.TileFeaturesAsync(maps, rivers, 0, 0, 0)).Properties["name"]);
        var query = await MapsApiTests.TemplateAsync(maps, "query", "q=" + Uri.EscapeDataString("SELECT name, geom FROM gis.parks WHERE area_ha > 500"), name);
        Assert.Equal("Monsanto", (string)Assert.Single(await MapsApiTests.TileFeaturesAsync(maps, query, 0, 0, 0)).Properties["name"]);

        var rows = await maps.GetFromJsonAsync<JsonElement>(
            $"/api/v3/sql/{name}/query?q=" + Uri.EscapeDataString("SELECT name, area_ha FROM gis.parks ORDER BY name"), Cancellation);
        Assert.Equal(["Monsanto", "Retiro"], rows.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("name").GetString()));
        // Answers made from a database whose changes the platform does not see are kept a minute at most.
        using var cached = await maps.GetAsync($"/api/v3/sql/{name}/query?q=" + Uri.EscapeDataString("SELECT 1 AS one"), Cancellation);
        Assert.Contains("max-age=60", cached.Headers.GetValues("Surrogate-Control").Single());

        using var formula = await maps.PostAsJsonAsync($"/api/v3/sql/{name}/model/formula", new
        {
            type = "table", source = "gis.parks", @params = new { column = "area_ha", operation = "sum" }, filters = new { },
        }, Cancellation);
        Assert.True(formula.IsSuccessStatusCode, await formula.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal(1125, (await formula.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("rows")[0].GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task AConnectionsPolygonsCarryTheirBboxAndPickFindsTheirRowsByTheIdsOfItsTiles()
    {
        var name = await CreateAsync(environment.AdminA);
        using var maps = environment.Maps.CreateClient(environment.AdminA);

        // No prepared copy here: each tile computes them from the table's own geometry.
        var template = await MapsApiTests.TemplateAsync(maps, "table", "name=gis.parks&featureBbox=true", name);
        var parks = (await MapsApiTests.TileFeaturesAsync(maps, template, 0, 0, 0)).ToDictionary(feature => (string)feature.Properties["name"]);
        Assert.Equal("-10,38,-8,40", parks["Monsanto"].Properties["_carto_bbox"]);
        Assert.Equal("-4,40,-3,41", parks["Retiro"].Properties["_carto_bbox"]);

        using var pick = await maps.PostAsJsonAsync($"/api/v3/sql/{name}/model/pick", new
        {
            type = "table", source = "gis.parks", filters = new { },
            @params = new
            {
                columns = new[] { "name", "area_ha" }, dataType = "polygons",
                featureIds = new[] { parks["Retiro"].Properties["_carto_feature_id"], parks["Monsanto"].Properties["_carto_feature_id"] },
            },
        }, Cancellation);
        Assert.True(pick.IsSuccessStatusCode, await pick.Content.ReadAsStringAsync(Cancellation));
        var rows = (await pick.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["Retiro:125", "Monsanto:1000"], rows.Select(row => $"{row.GetProperty("name").GetString()}:{row.GetProperty("area_ha").GetDouble()}"));
    }

    [Fact]
    public async Task TheDatabasesOwnPermissionsDecideWhatCanBeRead()
    {
        var name = await CreateAsync(environment.AdminA);
        using var maps = environment.Maps.CreateClient(environment.AdminA);

        // The connection's login may not read gis.payroll: for maps it does not exist, and SQL gets PostgreSQL's own refusal.
        await MapsApiTests.AssertProblemAsync(await maps.GetAsync($"/api/v3/maps/{name}/table?name=gis.payroll", Cancellation), 404, "gis.payroll");
        await MapsApiTests.AssertProblemAsync(await maps.GetAsync(
            $"/api/v3/sql/{name}/query?q=" + Uri.EscapeDataString("SELECT * FROM gis.payroll"), Cancellation), 403, "permission denied");
        // Read-only, as on the built-in warehouse.
        await MapsApiTests.AssertProblemAsync(await maps.GetAsync(
            $"/api/v3/sql/{name}/query?q=" + Uri.EscapeDataString("DELETE FROM gis.parks"), Cancellation), 403, "read-only");
    }

    [Fact]
    public async Task AWrongPasswordHostOrDatabaseIsA400ThatNamesTheCauseAndKeepsNothing()
    {
        using var workspace = environment.Workspace.CreateClient(environment.AdminA);
        var wrongPassword = "not-" + External.Password;

        var refused = await workspace.PostAsJsonAsync("/api/v3/connections", External.ConnectionBody("wrong_password", wrongPassword), Cancellation);
        await MapsApiTests.AssertProblemAsync(refused, 400, "could not connect: password authentication failed");
        Assert.DoesNotContain(wrongPassword, await refused.Content.ReadAsStringAsync(Cancellation));

        var closedPort = LoopbackPorts.Free();
        await MapsApiTests.AssertProblemAsync(await workspace.PostAsJsonAsync("/api/v3/connections",
            External.ConnectionBody("closed_port", port: closedPort), Cancellation), 400, $"could not connect: Failed to connect to 127.0.0.1:{closedPort}");
        var noDatabase = new { name = "no_database", config = new { host = External.Host, port = External.Port, database = "no_such_db", user = External.User, password = External.Password } };
        await MapsApiTests.AssertProblemAsync(await workspace.PostAsJsonAsync("/api/v3/connections", noDatabase, Cancellation), 400,
            "no_such_db");

        var names = await NamesAsync(workspace);
        Assert.DoesNotContain("wrong_password", names);
        Assert.DoesNotContain("closed_port", names);
        Assert.DoesNotContain("no_database", names);
    }

    [Theory]
    [InlineData("""{"name": "carto_dw", "config": {}}""", "built-in warehouse")]
    [InlineData("""{"name": "two words", "config": {}}""", "letters, digits")]
    [InlineData("""{"config": {}}""", "name is what the other APIs call")]
    [InlineData("""{"name": "bq", "provider_id": "bigquery", "config": {}}""", "'bigquery' is not supported")]
    [InlineData("""{"name": "no_host", "config": {"database": "d", "user": "u", "password": "p"}}""", "config.host")]
    [InlineData("""{"name": "bad_port", "config": {"host": "h", "port": "eighty", "database": "d", "user": "u", "password": "p"}}""", "config.port")]
    [InlineData("""{"name": "big_port", "config": {"host": "h", "port": 70000, "database": "d", "user": "u", "password": "p"}}""", "config.port")]
    [InlineData("""{"name": "no_password", "config": {"host": "h", "database": "d", "user": "u"}}""", "config.password")]
    [InlineData("""{"name": "ssl", "config": {"host": "h", "database": "d", "user": "u", "password": "p", "sslmode": "sometimes"}}""", "verify-full")]
    [InlineData("""{"name": "public", "privacy": "everyone", "config": {"host": "h", "database": "d", "user": "u", "password": "p"}}""", "privacy")]
    public async Task AnInvalidConnectionIsA400ThatSaysWhatIsWrong(string body, string detail)
    {
        using var workspace = environment.Workspace.CreateClient(environment.AdminA);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        await MapsApiTests.AssertProblemAsync(await workspace.PostAsync("/api/v3/connections", content, Cancellation), 400, detail);
    }

    [Fact]
    public async Task ANameIsTheOrganizationsOnceAndServerAndUsernameAreTakenForHostAndUser()
    {
        var name = await CreateAsync(environment.AdminA);
        using var workspace = environment.Workspace.CreateClient(environment.AdminA);
        await MapsApiTests.AssertProblemAsync(await workspace.PostAsJsonAsync("/api/v3/connections", External.ConnectionBody(name), Cancellation),
            409, "has a connection named");

        // Another organization may use the same name; CARTO's UI names the fields server and username, and a port may be a string.
        using var other = environment.Workspace.CreateClient(environment.AdminB);
        var created = await other.PostAsJsonAsync("/api/v3/connections", new
        {
            name, privacy = "shared",
            config = new { server = External.Host, port = External.Port.ToString(), database = External.Database, username = External.User, password = External.Password },
        }, Cancellation);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = await created.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(External.User, view.GetProperty("config").GetProperty("user").GetString());
        Assert.Equal("prefer", view.GetProperty("config").GetProperty("sslmode").GetString());
        Assert.Equal("public", view.GetProperty("config").GetProperty("schema").GetString());
        Assert.Equal(created.Headers.Location!.ToString(), $"/api/v3/connections/{view.GetProperty("id").GetGuid()}");
    }

    [Fact]
    public async Task APrivateConnectionIsItsOwnersAndASharedOneTheOrganizations()
    {
        var name = await CreateAsync(environment.AdminA);
        using var owner = environment.Workspace.CreateClient(environment.AdminA);
        var id = await IdAsync(owner, name);
        using var editor = environment.Workspace.CreateClient(environment.EditorA);
        using var editorMaps = environment.Maps.CreateClient(environment.EditorA);
        using var otherOrganization = environment.Workspace.CreateClient(environment.AdminB);
        using var otherOrganizationMaps = environment.Maps.CreateClient(environment.AdminB);
        var parks = "q=" + Uri.EscapeDataString("SELECT name FROM gis.parks");

        // Private: another user of the organization sees nothing of it, by name or by id.
        Assert.DoesNotContain(name, await NamesAsync(editor));
        Assert.Equal(HttpStatusCode.NotFound, (await editor.GetAsync($"/api/v3/connections/{id}", Cancellation)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await editor.PatchAsJsonAsync($"/api/v3/connections/{id}", new { privacy = "shared" }, Cancellation)).StatusCode);
        await MapsApiTests.AssertProblemAsync(await editorMaps.GetAsync($"/api/v3/sql/{name}/query?{parks}", Cancellation), 404, "no connection named");
        await MapsApiTests.AssertProblemAsync(await editorMaps.GetAsync($"/api/v3/maps/{name}/table?name=gis.parks", Cancellation), 404, "no connection named");

        var shared = await owner.PatchAsJsonAsync($"/api/v3/connections/{id}", new { privacy = "shared" }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, shared.StatusCode);

        // Shared: every user of the organization uses it; only its owner (or an admin) changes or removes it.
        Assert.Contains(name, await NamesAsync(editor));
        Assert.Equal(HttpStatusCode.OK, (await editorMaps.GetAsync($"/api/v3/sql/{name}/query?{parks}", Cancellation)).StatusCode);
        await MapsApiTests.AssertProblemAsync(await editor.PatchAsJsonAsync($"/api/v3/connections/{id}", new { name = "mine_now" }, Cancellation),
            403, "owner");
        await MapsApiTests.AssertProblemAsync(await editor.DeleteAsync($"/api/v3/connections/{id}", Cancellation), 403, "owner");

        // Another organization never sees it.
        Assert.DoesNotContain(name, await NamesAsync(otherOrganization));
        Assert.Equal(HttpStatusCode.NotFound, (await otherOrganization.GetAsync($"/api/v3/connections/{id}", Cancellation)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherOrganization.DeleteAsync($"/api/v3/connections/{id}", Cancellation)).StatusCode);
        await MapsApiTests.AssertProblemAsync(await otherOrganizationMaps.GetAsync($"/api/v3/sql/{name}/query?{parks}", Cancellation), 404,
            "no connection named");
    }

    [Fact]
    public async Task AViewerAddsNoConnection()
    {
        using var viewer = environment.Workspace.CreateClient(environment.ViewerA);
        var refused = await viewer.PostAsJsonAsync("/api/v3/connections", External.ConnectionBody("viewers"), Cancellation);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("carto_dw", await NamesAsync(viewer));
    }

    [Fact]
    public async Task AChangeIsTriedFirstAndARemovedConnectionIsGoneFromEveryApi()
    {
        var name = await CreateAsync(environment.AdminA);
        using var workspace = environment.Workspace.CreateClient(environment.AdminA);
        using var maps = environment.Maps.CreateClient(environment.AdminA);
        var id = await IdAsync(workspace, name);
        var parks = $"/api/v3/sql/{name}/query?q=" + Uri.EscapeDataString("SELECT count(*) AS n FROM gis.parks");

        // A wrong password is refused and the connection stays as it was.
        await MapsApiTests.AssertProblemAsync(await workspace.PatchAsJsonAsync($"/api/v3/connections/{id}",
            new { config = new { password = "wrong" } }, Cancellation), 400, "password authentication failed");
        Assert.Equal(HttpStatusCode.OK, (await maps.GetAsync(parks, Cancellation)).StatusCode);

        // A rename without a password keeps the stored one.
        var renamed = name + "_renamed";
        var changed = await workspace.PatchAsJsonAsync($"/api/v3/connections/{id}", new { name = renamed }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await maps.GetAsync(parks.Replace(name, renamed), Cancellation)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await workspace.DeleteAsync($"/api/v3/connections/{id}", Cancellation)).StatusCode);
        await MapsApiTests.AssertProblemAsync(await maps.GetAsync(parks.Replace(name, renamed), Cancellation), 404, "no connection named");
        Assert.Equal(HttpStatusCode.NotFound, (await workspace.GetAsync($"/api/v3/connections/{id}", Cancellation)).StatusCode);
    }

    [Fact]
    public async Task ThePasswordIsInNoAnswerNoLogLineAndNotInTheMetadataDatabase()
    {
        var name = await CreateAsync(environment.AdminA);
        using var workspace = environment.Workspace.CreateClient(environment.AdminA);
        using var maps = environment.Maps.CreateClient(environment.AdminA);
        var id = await IdAsync(workspace, name);

        var answers = new List<string>
        {
            await workspace.GetStringAsync("/api/v3/connections", Cancellation),
            await workspace.GetStringAsync($"/api/v3/connections/{id}", Cancellation),
            await (await workspace.PatchAsJsonAsync($"/api/v3/connections/{id}", new { config = new { password = External.Password } }, Cancellation))
                .Content.ReadAsStringAsync(Cancellation),
            await (await maps.GetAsync($"/api/v3/sql/{name}/query?q=" + Uri.EscapeDataString("SELECT * FROM gis.payroll"), Cancellation))
                .Content.ReadAsStringAsync(Cancellation),
        };
        Assert.All(answers, answer => Assert.DoesNotContain(External.Password, answer));
        Assert.Contains(answers, answer => answer.Contains(External.User));
        Assert.DoesNotContain(environment.Telemetry.LogLines, line => line.Contains(External.Password));
        Assert.DoesNotContain(environment.Telemetry.TraceAttributes, line => line.Contains(External.Password));
        Assert.Contains(environment.Telemetry.LogLines, line => line.Contains($"Connection {id}"));

        var stored = await environment.Databases.MetadataScalarAsync<string>($"SELECT protected_password FROM connections WHERE id = '{id}'");
        Assert.DoesNotContain(External.Password, stored);
        Assert.True(await environment.Databases.MetadataScalarAsync<long>("SELECT count(*) FROM data_protection_keys") >= 1);
    }

    [Fact]
    public async Task AConnectionSavedMapsUseIsNeitherRemovedNorRenamedUnderThem()
    {
        var name = await CreateAsync(environment.AdminA);
        using var workspace = environment.Workspace.CreateClient(environment.AdminA);
        var id = await IdAsync(workspace, name);
        using var map = new StringContent(SavedMapsTests.Body(dataset: $$"""{"id": "d", "type": "table", "source": "gis.parks", "connectionName": "{{name}}"}"""),
            System.Text.Encoding.UTF8, "application/json");
        using var saved = await workspace.PostAsync("/api/v3/maps", map, Cancellation);
        Assert.True(saved.StatusCode == HttpStatusCode.Created, await saved.Content.ReadAsStringAsync(Cancellation));
        var mapId = (await saved.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("id").GetGuid();

        await MapsApiTests.AssertProblemAsync(await workspace.DeleteAsync($"/api/v3/connections/{id}", Cancellation), 409, "1 saved map(s)");
        await MapsApiTests.AssertProblemAsync(await workspace.PatchAsJsonAsync($"/api/v3/connections/{id}", new { name = name + "_new" }, Cancellation),
            409, "saved map");
        // Other changes are fine, and once the map is gone so is the connection.
        Assert.Equal(HttpStatusCode.OK, (await workspace.PatchAsJsonAsync($"/api/v3/connections/{id}", new { privacy = "shared" }, Cancellation)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await workspace.DeleteAsync($"/api/v3/maps/{mapId}", Cancellation)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await workspace.DeleteAsync($"/api/v3/connections/{id}", Cancellation)).StatusCode);
    }

    [Fact]
    public async Task ABatchSqlJobRunsOnAConnectionUnderItsCredentialsAndReportsTheTablesItMade()
    {
        var name = "pg_" + Guid.NewGuid().ToString("N")[..8];
        using var workspace = environment.Workspace.CreateClient(environment.AdminA);
        var created = await workspace.PostAsJsonAsync("/api/v3/connections", External.ConnectionBody(name, schema: "gis"), Cancellation);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var maps = environment.Maps.CreateClient(environment.AdminA);
        var table = "big_parks_" + Guid.NewGuid().ToString("N")[..8];

        var job = await RunJobAsync(maps, name, $"CREATE TABLE gis.{table} AS SELECT name, geom FROM gis.parks WHERE area_ha > 500");
        Assert.Equal("success", job.GetProperty("status").GetString());
        Assert.Contains(job.GetProperty("changedTables").EnumerateArray(),
            changed => changed.GetProperty("table").GetString() == table && changed.GetProperty("schema").GetString() == "gis");
        var rows = await maps.GetFromJsonAsync<JsonElement>($"/api/v3/sql/{name}/query?q=" + Uri.EscapeDataString($"SELECT name FROM gis.{table}"), Cancellation);
        Assert.Equal(["Monsanto"], rows.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("name").GetString()));

        // The database's permissions decide: the login may not read gis.payroll, so the job fails with PostgreSQL's reason.
        var refused = await RunJobAsync(maps, name, "CREATE TABLE gis.copied AS SELECT * FROM gis.payroll");
        Assert.Equal("failure", refused.GetProperty("status").GetString());
        Assert.Contains("permission denied", refused.GetProperty("error").GetProperty("message").GetString());
        // A private connection is its owner's: another user's job there is a 404, as its queries are.
        using var editor = environment.Maps.CreateClient(environment.EditorA);
        await MapsApiTests.AssertProblemAsync(await editor.PostAsJsonAsync($"/api/v3/sql/{name}/job", new { query = "SELECT 1" }, Cancellation),
            404, "no connection named");
    }

    private static async Task<JsonElement> RunJobAsync(HttpClient maps, string connection, string query)
    {
        using var created = await maps.PostAsJsonAsync($"/api/v3/sql/{connection}/job", new { query }, Cancellation);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Cancellation));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("id").GetGuid();
        JsonElement job = default;
        await Eventually.WaitUntilAsync(async () =>
            (job = await maps.GetFromJsonAsync<JsonElement>($"/api/v3/sql/{connection}/job/{id}", Cancellation)).GetProperty("status").GetString()
                is "success" or "failure", TimeSpan.FromSeconds(30), $"job {id} to end", Cancellation);
        return job;
    }

    /// <summary>A new connection to the external database, made with <paramref name="token"/>; its name.</summary>
    private async Task<string> CreateAsync(string token)
    {
        var name = "pg_" + Guid.NewGuid().ToString("N")[..8];
        using var workspace = environment.Workspace.CreateClient(token);
        var created = await workspace.PostAsJsonAsync("/api/v3/connections", External.ConnectionBody(name), Cancellation);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Cancellation));
        return name;
    }

    private static async Task<List<string>> NamesAsync(HttpClient workspace) =>
        (await workspace.GetFromJsonAsync<JsonElement>("/api/v3/connections", Cancellation)).GetProperty("connections").EnumerateArray()
            .Select(connection => connection.GetProperty("name").GetString()!).ToList();

    private static async Task<Guid> IdAsync(HttpClient workspace, string name) =>
        (await workspace.GetFromJsonAsync<JsonElement>("/api/v3/connections", Cancellation)).GetProperty("connections").EnumerateArray()
            .Single(connection => connection.GetProperty("name").GetString() == name).GetProperty("id").GetGuid();
}
