using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Sql;
using CartoSelfHosted.MapsApi.Apis;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.Integration.Tests.Accounts;

/// <summary>
/// CARTO's Tokens API (accounts-api) and what its API access tokens may do on maps-api and import-api: only their granted
/// sources (a table, a schema, an exact query, everything), only their allowed APIs, only from their referers, until
/// they expire or are deleted — and never anything of another organization.
/// </summary>
public sealed class ApiAccessTokenTests(TwoOrganizations environment) : IClassFixture<TwoOrganizations>
{
    private const string MapsAndSql = "maps,sql";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private TestOrganization A => environment.A;

    [Fact]
    public async Task ATokenIsMadeListedReadChangedAndDeletedInCartosShape()
    {
        using var accounts = environment.Accounts.CreateClient(A.Token);
        using var created = await accounts.PostAsJsonAsync("/api/v3/tokens", new
        {
            grants = new[] { new { connection_name = "carto_dw", source = "cities" } },
            allowed_apis = new[] { "maps", "sql" },
            referers = new[] { "https://App.Example.com/" },
            expiration_date = DateTimeOffset.UtcNow.AddDays(30),
        }, Cancel);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = await created.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var value = token.GetProperty("token").GetString()!;
        var id = token.GetProperty("id").GetString()!;
        Assert.StartsWith(ApiTokens.Prefix, value);
        Assert.Equal($"/api/v3/tokens/{id}", created.Headers.Location?.OriginalString);
        Assert.Matches("^tk_[0-9a-f]{8}$", token.GetProperty("name").GetString());
        Assert.Equal("carto_dw", token.GetProperty("grants")[0].GetProperty("connection_name").GetString());
        Assert.Equal("cities", token.GetProperty("grants")[0].GetProperty("source").GetString());
        Assert.Equal(["maps", "sql"], token.GetProperty("allowed_apis").EnumerateArray().Select(api => api.GetString()));
        Assert.Equal(["https://app.example.com"], token.GetProperty("referers").EnumerateArray().Select(referer => referer.GetString()));
        Assert.True(token.GetProperty("expiration_date").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddDays(29));

        // Listed and read, by id and by the token itself as CARTO's paths carry it; the value is never returned again.
        var list = await accounts.GetStringAsync("/api/v3/tokens", Cancel);
        Assert.Contains(id, list);
        Assert.DoesNotContain(value, list);
        foreach (var path in new[] { id, value })
        {
            var read = await accounts.GetFromJsonAsync<JsonElement>($"/api/v3/tokens/{path}", Cancel);
            Assert.Equal(id, read.GetProperty("id").GetString());
            Assert.False(read.TryGetProperty("token", out _));
        }

        // Changed: what is given replaces, what is left out stays; the expiration is set once.
        using (var changed = await accounts.PatchAsJsonAsync($"/api/v3/tokens/{value}", new
        {
            name = "public map", grants = new[] { new { connection_name = "carto_dw", source = "roads" } },
        }, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            var after = await changed.Content.ReadFromJsonAsync<JsonElement>(Cancel);
            Assert.Equal("public map", after.GetProperty("name").GetString());
            Assert.Equal("roads", after.GetProperty("grants")[0].GetProperty("source").GetString());
            Assert.Equal(2, after.GetProperty("allowed_apis").GetArrayLength());
        }
        using (var expiration = await accounts.PatchAsJsonAsync($"/api/v3/tokens/{id}", new { expiration_date = DateTimeOffset.UtcNow.AddDays(1) }, Cancel))
        {
            await AccountsInstallation.AssertProblemAsync(expiration, HttpStatusCode.BadRequest);
        }
        using var fromTheApp = environment.MapsClient(value, "https://app.example.com");
        await AssertStatusAsync(HttpStatusCode.OK, await fromTheApp.GetAsync("/api/v3/maps/carto_dw/table?name=roads", Cancel));

        // Deleted: refused within a second; no longer there.
        using (var deleted = await accounts.DeleteAsync($"/api/v3/tokens/{id}", Cancel))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        await Revocation.RefusedWithinASecondAsync(() => fromTheApp.GetAsync("/api/v3/maps/carto_dw/table?name=roads", Cancel), TestContext.Current.CancellationToken);
        await AccountsInstallation.AssertProblemAsync(await accounts.GetAsync($"/api/v3/tokens/{id}", Cancel), HttpStatusCode.NotFound);
        await AccountsInstallation.AssertProblemAsync(await accounts.DeleteAsync($"/api/v3/tokens/{id}", Cancel), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ADeletedTokenStopsOnEveryApiAndEveryReplicaWithinASecond()
    {
        await using var secondMaps = await ApiFactory<SqlJobView>.StartAsync("tokens_maps_2", environment.Settings);
        var token = await CreateAsync("maps,sql,imports", ("carto_dw", "*"));
        Func<Task<HttpResponseMessage>>[] calls =
        [
            () => environment.Maps.CreateClient(token).GetAsync("/api/v3/sql/carto_dw/query?q=SELECT%201", Cancel),
            () => secondMaps.CreateClient(token).GetAsync("/api/v3/sql/carto_dw/query?q=SELECT%201", Cancel),
            () => environment.Imports.CreateClient(token).GetAsync("/api/v3/imports", Cancel),
        ];
        // Each has looked the token up, and keeps it for a while.
        foreach (var call in calls)
        {
            await AssertStatusAsync(HttpStatusCode.OK, await call());
        }

        using var accounts = environment.Accounts.CreateClient(A.Token);
        Assert.Equal(HttpStatusCode.NoContent, (await accounts.DeleteAsync($"/api/v3/tokens/{token}", Cancel)).StatusCode);
        // All at once, from the deletion: each must refuse it within the second.
        var waits = await Task.WhenAll(calls.Select(call => Revocation.RefusedWithinASecondAsync(call, TestContext.Current.CancellationToken)));
        TestContext.Current.TestOutputHelper?.WriteLine($"refused after {string.Join(", ", waits.Select(wait => $"{wait.TotalMilliseconds:0} ms"))}");
    }

    [Fact]
    public async Task ATableGrantReadsThatTableOnEveryMapsEndpointAndNothingElse()
    {
        var token = await CreateAsync(MapsAndSql, ("carto_dw", "cities"));
        using var maps = environment.MapsClient(token);

        // The table: instantiation, TileJSON, a tile, widgets and stats.
        var map = await ReadJsonAsync(await maps.GetAsync("/api/v3/maps/carto_dw/table?name=cities", Cancel));
        var tileJson = await ReadJsonAsync(await maps.GetAsync(map.GetProperty("tilejson").GetProperty("url")[0].GetString(), Cancel));
        using var tile = await maps.GetAsync(TileUrl(tileJson, 0, 0, 0), Cancel);
        Assert.Equal(HttpStatusCode.OK, tile.StatusCode);
        Assert.Equal(2, VectorTile.Decode(await tile.Content.ReadAsByteArrayAsync(Cancel)).Single().Features.Count);
        var formula = await ReadJsonAsync(await maps.GetAsync(Widget("formula", "table", "cities", """{"column":"population","operation":"sum"}"""), Cancel));
        Assert.Equal(3845000, formula.GetProperty("rows")[0].GetProperty("value").GetDouble());
        await AssertStatusAsync(HttpStatusCode.OK, await maps.GetAsync("/api/v3/stats/carto_dw/cities/population", Cancel));
        // Its schema-qualified name is the same table.
        await AssertStatusAsync(HttpStatusCode.OK, await maps.GetAsync($"/api/v3/maps/carto_dw/table?name={A.Schema}.cities", Cancel));

        // Another table, one that does not exist (403 too: a refused token learns nothing of what exists), a query
        // source of the very table, the SQL API, its widgets and its stats: all refused with CARTO's `error`.
        foreach (var path in new[]
        {
            "/api/v3/maps/carto_dw/table?name=roads",
            "/api/v3/maps/carto_dw/table?name=no_such_table",
            "/api/v3/maps/carto_dw/query?q=" + Uri.EscapeDataString("SELECT * FROM cities"),
            "/api/v3/sql/carto_dw/query?q=" + Uri.EscapeDataString("SELECT * FROM cities"),
            Widget("formula", "table", "roads", """{"column":"*","operation":"count"}"""),
            Widget("formula", "query", "SELECT * FROM cities", """{"column":"*","operation":"count"}"""),
            "/api/v3/stats/carto_dw/roads/name",
            "/api/v3/stats/carto_dw/population?q=" + Uri.EscapeDataString("SELECT * FROM cities"),
        })
        {
            await AssertNotGrantedAsync(await maps.GetAsync(path, Cancel));
        }
        using (var posted = await maps.PostAsJsonAsync("/api/v3/maps/carto_dw/table", new { name = "roads" }, Cancel))
        {
            await AssertNotGrantedAsync(posted);
        }

        // A source the admin instantiated: its id does not open it to the token.
        using var admin = environment.MapsClient(A.Token);
        var roads = await ReadJsonAsync(await admin.GetAsync("/api/v3/maps/carto_dw/table?name=roads", Cancel));
        var roadsTileJsonUrl = roads.GetProperty("tilejson").GetProperty("url")[0].GetString()!;
        var roadsTileJson = await ReadJsonAsync(await admin.GetAsync(roadsTileJsonUrl, Cancel));
        await AssertNotGrantedAsync(await maps.GetAsync(roadsTileJsonUrl, Cancel));
        await AssertNotGrantedAsync(await maps.GetAsync(TileUrl(roadsTileJson, 0, 0, 0), Cancel));
        await AssertNotGrantedAsync(await maps.GetAsync(roads.GetProperty("geojson").GetProperty("url")[0].GetString(), Cancel));
    }

    [Fact]
    public async Task AQueryGrantReadsExactlyThatQuery()
    {
        const string query = "SELECT name, geom FROM cities WHERE population > 1000000";
        var token = await CreateAsync(MapsAndSql, ("carto_dw", query));
        using var maps = environment.MapsClient(token);

        var map = await ReadJsonAsync(await maps.GetAsync("/api/v3/maps/carto_dw/query?q=" + Uri.EscapeDataString(query), Cancel));
        Assert.Equal(1, map.GetProperty("nrows").GetInt64());
        await AssertStatusAsync(HttpStatusCode.OK, await maps.GetAsync(map.GetProperty("tilejson").GetProperty("url")[0].GetString(), Cancel));
        using (var posted = await maps.PostAsJsonAsync("/api/v3/sql/carto_dw/query", new { q = query }, Cancel))
        {
            Assert.Contains("Madrid", await ReadTextAsync(posted));
        }
        await AssertStatusAsync(HttpStatusCode.OK, await maps.GetAsync(Widget("formula", "query", query, """{"column":"*","operation":"count"}"""), Cancel));

        foreach (var other in new[] { query + " ", query.ToLowerInvariant(), "SELECT name, geom FROM cities" })
        {
            await AssertNotGrantedAsync(await maps.GetAsync("/api/v3/maps/carto_dw/query?q=" + Uri.EscapeDataString(other), Cancel));
            await AssertNotGrantedAsync(await maps.GetAsync("/api/v3/sql/carto_dw/query?q=" + Uri.EscapeDataString(other), Cancel));
        }
        await AssertNotGrantedAsync(await maps.GetAsync("/api/v3/maps/carto_dw/table?name=cities", Cancel));
    }

    [Fact]
    public async Task WildcardsGrantASchemasTablesOrAllOfAConnection()
    {
        using var schema = environment.MapsClient(await CreateAsync(MapsAndSql, ("carto_dw", $"{A.Schema}.*")));
        await AssertStatusAsync(HttpStatusCode.OK, await schema.GetAsync("/api/v3/maps/carto_dw/table?name=cities", Cancel));
        await AssertStatusAsync(HttpStatusCode.OK, await schema.GetAsync("/api/v3/maps/carto_dw/table?name=roads", Cancel));
        // `schema.*` is tables: a query needs its own grant.
        await AssertNotGrantedAsync(await schema.GetAsync("/api/v3/sql/carto_dw/query?q=SELECT%201", Cancel));
        // Another connection's grant grants nothing here.
        using var elsewhere = environment.MapsClient(await CreateAsync(MapsAndSql, ("other_connection", "*")));
        await AssertNotGrantedAsync(await elsewhere.GetAsync("/api/v3/maps/carto_dw/table?name=cities", Cancel));

        using var everything = environment.MapsClient(await CreateAsync(MapsAndSql, ("carto_dw", "*")));
        await AssertStatusAsync(HttpStatusCode.OK, await everything.GetAsync("/api/v3/maps/carto_dw/table?name=roads", Cancel));
        await AssertStatusAsync(HttpStatusCode.OK, await everything.GetAsync("/api/v3/sql/carto_dw/query?q=SELECT%201", Cancel));
        // Everything of its own organization only: another's table is one it cannot read.
        await AccountsInstallation.AssertProblemAsync(
            await everything.GetAsync($"/api/v3/maps/carto_dw/table?name={environment.B.Schema}.secrets", Cancel), HttpStatusCode.NotFound);
        await AccountsInstallation.AssertProblemAsync(
            await everything.GetAsync("/api/v3/sql/carto_dw/query?q=" + Uri.EscapeDataString($"SELECT * FROM {environment.B.Schema}.secrets"), Cancel),
            HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ATokenCallsOnlyItsAllowedApisAndNoUserApi()
    {
        var mapsOnly = await CreateAsync("maps", ("carto_dw", "*"));
        using var maps = environment.MapsClient(mapsOnly);
        await AssertStatusAsync(HttpStatusCode.OK, await maps.GetAsync("/api/v3/maps/carto_dw/table?name=cities", Cancel));
        // Widgets and stats take maps or sql.
        await AssertStatusAsync(HttpStatusCode.OK, await maps.GetAsync(Widget("formula", "table", "cities", """{"column":"*","operation":"count"}"""), Cancel));
        await AssertRefusedAsync(await maps.GetAsync("/api/v3/sql/carto_dw/query?q=SELECT%201", Cancel), "allowed_apis");
        await AssertRefusedAsync(await maps.PostAsJsonAsync("/api/v3/sql/carto_dw/job", new { query = "SELECT 1" }, Cancel), "user's access token");
        await AssertRefusedAsync(await environment.Imports.CreateClient(mapsOnly).GetAsync("/api/v3/imports", Cancel), "allowed_apis");
        // What needs a user: its account, the Tokens API (a token cannot make tokens).
        using var accounts = environment.Accounts.CreateClient(mapsOnly);
        await AssertRefusedAsync(await accounts.GetAsync("/api/v3/accounts/me", Cancel), "user's access token");
        await AssertRefusedAsync(await accounts.GetAsync("/api/v3/tokens", Cancel), "user's access token");
        await AssertRefusedAsync(await accounts.PostAsJsonAsync("/api/v3/tokens",
            new { grants = new[] { new { connection_name = "carto_dw", source = "*" } }, allowed_apis = new[] { "sql" } }, Cancel), "user's access token");

        var sqlOnly = await CreateAsync("sql", ("carto_dw", "*"));
        using var sql = environment.MapsClient(sqlOnly);
        await AssertStatusAsync(HttpStatusCode.OK, await sql.GetAsync("/api/v3/sql/carto_dw/query?q=SELECT%201", Cancel));
        await AssertRefusedAsync(await sql.GetAsync("/api/v3/maps/carto_dw/table?name=cities", Cancel), "allowed_apis");

        var imports = await CreateAsync("imports", ("carto_dw", "*"));
        await AssertStatusAsync(HttpStatusCode.OK, await environment.Imports.CreateClient(imports).GetAsync("/api/v3/imports", Cancel));
    }

    [Fact]
    public async Task ATokenWithReferersServesOnlyPagesOfThoseOrigins()
    {
        var token = await CreateAsync(MapsAndSql, ["https://maps.example.com", "http://localhost:5173"], ("carto_dw", "cities"));
        const string path = "/api/v3/maps/carto_dw/table?name=cities";

        using (var fromTheApp = environment.MapsClient(token, "https://maps.example.com"))
        {
            await AssertStatusAsync(HttpStatusCode.OK, await fromTheApp.GetAsync(path, Cancel));
        }
        using (var fromTheDevServer = environment.MapsClient(token, "http://LOCALHOST:5173"))
        {
            await AssertStatusAsync(HttpStatusCode.OK, await fromTheDevServer.GetAsync(path, Cancel));
        }
        // A same-origin page sends no Origin on a GET, but its Referer.
        using (var byReferer = environment.MapsClient(token))
        {
            byReferer.DefaultRequestHeaders.Referrer = new Uri("https://maps.example.com/world/index.html?x=1");
            await AssertStatusAsync(HttpStatusCode.OK, await byReferer.GetAsync(path, Cancel));
        }
        foreach (var origin in new[] { "https://evil.example.com", "https://maps.example.com.evil.example", "http://maps.example.com", "null" })
        {
            using var elsewhere = environment.MapsClient(token, origin);
            await AssertUnauthorizedRefererAsync(await elsewhere.GetAsync(path, Cancel));
        }
        using var noPage = environment.MapsClient(token);
        await AssertUnauthorizedRefererAsync(await noPage.GetAsync(path, Cancel));
    }

    [Fact]
    public async Task AnExpiredTokenIs401()
    {
        var token = await CreateAsync(MapsAndSql, ("carto_dw", "*"));
        using var maps = environment.MapsClient(token);
        await AssertStatusAsync(HttpStatusCode.OK, await maps.GetAsync("/api/v3/sql/carto_dw/query?q=SELECT%201", Cancel));

        // Its expiration comes (set in the database: a token cannot be made already expired).
        Assert.Equal(1, await environment.MetadataScalarAsync<long>($"""
            WITH expired AS (UPDATE api_tokens SET expires_at = now() - interval '1 second'
                             WHERE token_hash = '\x{Convert.ToHexString(ApiTokens.Hash(token))}' RETURNING 1)
            SELECT count(*) FROM expired
            """));
        await Revocation.RefusedWithinASecondAsync(() => maps.GetAsync("/api/v3/sql/carto_dw/query?q=SELECT%201", Cancel), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task TokensArePrivateToTheirUserAndOrganization()
    {
        var token = await CreateAsync(MapsAndSql, ("carto_dw", "cities"));
        var id = (await environment.Accounts.CreateClient(A.Token).GetFromJsonAsync<JsonElement>($"/api/v3/tokens/{token}", Cancel))
            .GetProperty("id").GetString();
        using var b = environment.Accounts.CreateClient(environment.B.Token);
        Assert.DoesNotContain(id!, await b.GetStringAsync("/api/v3/tokens", Cancel));
        foreach (var path in new[] { id, token })
        {
            await AccountsInstallation.AssertProblemAsync(await b.GetAsync($"/api/v3/tokens/{path}", Cancel), HttpStatusCode.NotFound);
            await AccountsInstallation.AssertProblemAsync(await b.PatchAsJsonAsync($"/api/v3/tokens/{path}", new { name = "mine" }, Cancel), HttpStatusCode.NotFound);
            await AccountsInstallation.AssertProblemAsync(await b.DeleteAsync($"/api/v3/tokens/{path}", Cancel), HttpStatusCode.NotFound);
        }
        // A's token, granted B's table by name, still reads only what A may.
        using var maps = environment.MapsClient(await CreateAsync(MapsAndSql, ("carto_dw", $"{environment.B.Schema}.secrets")));
        await AccountsInstallation.AssertProblemAsync(
            await maps.GetAsync($"/api/v3/maps/carto_dw/table?name={environment.B.Schema}.secrets", Cancel), HttpStatusCode.NotFound);
        await AssertNotGrantedAsync(await maps.GetAsync("/api/v3/sql/carto_dw/query?q=" +
            Uri.EscapeDataString($"SELECT * FROM {environment.B.Schema}.secrets"), Cancel));
    }

    [Fact]
    public async Task OnlyAUsersTokenMakesTokens()
    {
        // The development token before the first sign-up is no user's: a token it made would be no one's.
        using var accounts = environment.Accounts.CreateClient(environment.Accounts.BootstrapToken);
        using var refused = await accounts.PostAsJsonAsync("/api/v3/tokens",
            new { grants = new[] { new { connection_name = "carto_dw", source = "*" } }, allowed_apis = new[] { "maps" } }, Cancel);
        var problem = await AccountsInstallation.AssertProblemAsync(refused, HttpStatusCode.Forbidden);
        Assert.Contains("user's token", problem.GetProperty("detail").GetString());
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "{}", "grants" },
        { """{"grants": [], "allowed_apis": ["maps"]}""", "grants" },
        { """{"grants": [{"connection_name": "carto_dw", "source": "*"}]}""", "allowed_apis" },
        { """{"grants": [{"connection_name": "carto_dw", "source": "*"}], "allowed_apis": []}""", "allowed_apis" },
        { """{"grants": [{"connection_name": "carto_dw", "source": "*"}], "allowed_apis": ["maps", "workflows"]}""", "allowed_apis" },
        { """{"grants": [{"connection_name": "carto_dw"}], "allowed_apis": ["maps"]}""", "grant" },
        { """{"grants": [{"connection_name": "", "source": "*"}], "allowed_apis": ["maps"]}""", "grant" },
        { """{"grants": [null], "allowed_apis": ["maps"]}""", "grant" },
        { """{"grants": "carto_dw.*", "allowed_apis": ["maps"]}""", "body" },
        { """{"grants": [{"connection_name": "carto_dw", "source": "*"}], "allowed_apis": ["maps"], "referers": ["https://a.example.com/page"]}""", "referer" },
        { """{"grants": [{"connection_name": "carto_dw", "source": "*"}], "allowed_apis": ["maps"], "referers": ["ftp://a.example.com"]}""", "referer" },
        { """{"grants": [{"connection_name": "carto_dw", "source": "*"}], "allowed_apis": ["maps"], "referers": ["a.example.com"]}""", "referer" },
        { """{"grants": [{"connection_name": "carto_dw", "source": "*"}], "allowed_apis": ["maps"], "expiration_date": "2020-01-01T00:00:00Z"}""", "expiration_date" },
        { """{"grants": [{"connection_name": "carto_dw", "source": "*"}], "allowed_apis": ["maps"], "expiration_date": "tomorrow"}""", "body" },
        { """{"grants": [{"connection_name": "carto_dw", "source": "*"}], "allowed_apis": ["maps"], "name": " "}""", "name" },
        { """[1, 2]""", "body" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadTokenBodiesAreProblemsThatSayWhatIsWrong(string body, string named)
    {
        using var accounts = environment.Accounts.CreateClient(A.Token);
        var before = await environment.MetadataScalarAsync<long>("SELECT count(*) FROM api_tokens");
        using var response = await accounts.PostAsync("/api/v3/tokens", new StringContent(body, Encoding.UTF8, "application/json"), Cancel);

        var problem = await AccountsInstallation.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(named, problem.GetProperty("detail").GetString() + problem.GetProperty("title").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await environment.MetadataScalarAsync<long>("SELECT count(*) FROM api_tokens"));
    }

    private Task<string> CreateAsync(string apis, params (string Connection, string Source)[] grants) => CreateAsync(apis, [], grants);

    private Task<string> CreateAsync(string apis, string[] referers, params (string Connection, string Source)[] grants) =>
        environment.CreateTokenAsync(A, new
        {
            grants = grants.Select(grant => new { connection_name = grant.Connection, source = grant.Source }),
            allowed_apis = apis.Split(','),
            referers,
        });

    private static string Widget(string model, string type, string source, string parameters) =>
        $"/api/v3/sql/carto_dw/model/{model}?type={type}&source={Uri.EscapeDataString(source)}&params={Uri.EscapeDataString(parameters)}&filters=%7B%7D";

    private static string TileUrl(JsonElement tileJson, int z, int x, int y) => tileJson.GetProperty("tiles")[0].GetString()!
        .Replace("{z}", z.ToString()).Replace("{x}", x.ToString()).Replace("{y}", y.ToString());

    private static async Task<string> ReadTextAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        return text;
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) => JsonSerializer.Deserialize<JsonElement>(await ReadTextAsync(response));

    private static async Task AssertStatusAsync(HttpStatusCode status, HttpResponseMessage response)
    {
        using (response)
        {
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}");
        }
    }

    /// <summary>A 403 problem whose `error` (what CARTO's clients show) says the source is not granted.</summary>
    private static async Task AssertNotGrantedAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var problem = await AccountsInstallation.AssertProblemAsync(response, HttpStatusCode.Forbidden);
            Assert.Contains("not granted", problem.GetProperty("error").GetString());
        }
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string why)
    {
        using (response)
        {
            var problem = await AccountsInstallation.AssertProblemAsync(response, HttpStatusCode.Forbidden);
            Assert.Contains(why, problem.GetProperty("error").GetString());
        }
    }

    private static async Task AssertUnauthorizedRefererAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var problem = await AccountsInstallation.AssertProblemAsync(response, HttpStatusCode.Forbidden);
            Assert.Equal(ApiAccessTokens.UnauthorizedReferer, problem.GetProperty("error").GetString());
        }
    }
}
