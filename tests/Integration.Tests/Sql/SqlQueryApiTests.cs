using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CartoSelfHosted.Integration.Tests.Sql;

/// <summary>The synchronous SQL API of maps-api, against a real warehouse, as organization A.</summary>
public sealed class SqlQueryApiTests(SqlEnvironment environment) : IClassFixture<SqlEnvironment>
{
    private const string CitiesOverOneMillion =
        "SELECT name, population, founded, tags, geom FROM cities WHERE population > $1 ORDER BY name";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task JsonHasCartosShapeWithBoundParametersAndGeometriesAsGeoJson()
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync(QueryUrl(CitiesOverOneMillion, "[1000000]"), Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(
            ["name:string", "population:number", "founded:timestamp", "tags:object", "geom:geometry"],
            body.GetProperty("schema").EnumerateArray().Select(field => $"{field.GetProperty("name")}:{field.GetProperty("type")}"));
        var rows = body.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["Madrid", "Quito"], rows.Select(row => row.GetProperty("name").GetString()));
        Assert.Equal(3300000, rows[0].GetProperty("population").GetInt32());
        Assert.Equal("0865-01-01", rows[0].GetProperty("founded").GetString());
        Assert.False(rows[0].GetProperty("tags").GetProperty("coast").GetBoolean());
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("tags").ValueKind);
        var geometry = rows[0].GetProperty("geom");
        Assert.Equal("Point", geometry.GetProperty("type").GetString());
        Assert.Equal([-3.7, 40.42], geometry.GetProperty("coordinates").EnumerateArray().Select(value => value.GetDouble()));
        var meta = body.GetProperty("meta");
        Assert.Equal(2, meta.GetProperty("rowCount").GetInt32());
        Assert.False(meta.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task GeoJsonIsAFeatureCollectionWithTheOtherColumnsAsProperties()
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync(QueryUrl(CitiesOverOneMillion, "[1000000]") + "&format=geojson", Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/geo+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal("FeatureCollection", body.GetProperty("type").GetString());
        var features = body.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(2, features.Count);
        Assert.Equal("Feature", features[1].GetProperty("type").GetString());
        Assert.Equal([-78.47, -0.18], features[1].GetProperty("geometry").GetProperty("coordinates").EnumerateArray().Select(value => value.GetDouble()));
        var properties = features[1].GetProperty("properties");
        Assert.Equal("Quito", properties.GetProperty("name").GetString());
        Assert.False(properties.TryGetProperty("geom", out _), "the geometry is not repeated among the properties");
    }

    [Fact]
    public async Task CsvHasAHeaderQuotesWhatNeedsItAndWritesGeometriesAsHexEwkb()
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync(
            QueryUrl("SELECT name, population, geom FROM cities WHERE name <> $1 ORDER BY population NULLS FIRST", "[\"Lisbon\"]") + "&format=csv",
            Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(Cancellation)).Split("\r\n");
        var quitoEwkb = await environment.WarehouseScalarAsync<string>(
            $"SELECT upper(encode(ST_AsEWKB(geom), 'hex')) FROM \"{environment.A.Schema}\".cities WHERE name = 'Quito'");
        Assert.Equal(["name,population,geom", "\"Nowhere, \"\"Quoted\"\"\",,", $"Quito,2800000,{quitoEwkb}"], lines[..3]);
        Assert.Equal(5, lines.Length);
        Assert.Equal("", lines[^1]);
    }

    [Fact]
    public async Task PostTakesTheSqlInTheBodyAsTheCartoClientSendsItAndIsNotCacheable()
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.PostAsJsonAsync("/api/v3/sql/carto_dw/query",
            new { q = "SELECT count(*) AS n FROM cities WHERE population > $1 AND name <> $2", queryParameters = new object[] { 600000, "Quito" }, client = "test" },
            Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal("bigint", body.GetProperty("schema")[0].GetProperty("type").GetString());
        Assert.Equal(1, body.GetProperty("rows")[0].GetProperty("n").GetInt64());
    }

    [Fact]
    public async Task GetAnswersAreCacheableUnderTheConnectionsAndOrganizationsSurrogateKeys()
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync(QueryUrl("SELECT 1 AS one"), Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl is { Private: true, MaxAge.TotalSeconds: 30 }, $"Cache-Control: {response.Headers.CacheControl}");
        Assert.Equal("max-age=300", Assert.Single(response.Headers.GetValues("Surrogate-Control")));
        Assert.Equal($"conn:carto_dw sql:{environment.A.Slug}", Assert.Single(response.Headers.GetValues("xkey")));
    }

    [Fact]
    public async Task ResultsStopAt200000RowsAndSaySoInMeta()
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync(QueryUrl("SELECT g FROM generate_series(1, 250000) g"), Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("200000", Assert.Single(response.Headers.GetValues("X-Row-Limit")));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(200_000, body.GetProperty("rows").GetArrayLength());
        Assert.Equal(200_000, body.GetProperty("rows")[199_999].GetProperty("g").GetInt32());
        Assert.True(body.GetProperty("meta").GetProperty("truncated").GetBoolean());
        Assert.Equal(200_000, body.GetProperty("meta").GetProperty("rowLimit").GetInt32());
    }

    [Fact]
    public async Task AQueryPastTheStatementTimeoutIsAProblemOfItsOwnType()
    {
        using var client = environment.ClientOf(environment.A);
        var clock = Stopwatch.StartNew();
        var response = await client.GetAsync(QueryUrl("SELECT pg_sleep(20)"), Cancellation);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "query-timeout");
        Assert.Contains("statement timeout", problem.GetProperty("detail").GetString());
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(SqlEnvironment.StatementTimeoutSeconds), TimeSpan.FromSeconds(15));
    }

    [Theory]
    [InlineData("DELETE FROM cities")]
    [InlineData("UPDATE cities SET population = 0")]
    [InlineData("INSERT INTO cities (name) VALUES ('Atlantis')")]
    [InlineData("DROP TABLE cities")]
    [InlineData("CREATE TABLE copy AS SELECT * FROM cities")]
    [InlineData("TRUNCATE cities")]
    public async Task AStatementThatWritesIsRefusedAndChangesNothing(string sql)
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.PostAsJsonAsync("/api/v3/sql/carto_dw/query", new { q = sql }, Cancellation);

        var problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden, "read-only-query");
        Assert.Equal("25006", problem.GetProperty("sqlState").GetString());
        await AssertCitiesUntouchedAsync();
    }

    [Theory]
    [InlineData("SELECT 1; DELETE FROM cities", HttpStatusCode.BadRequest, "sql-error")]
    [InlineData("SELECT 1 AS a; SELECT 2 AS b", HttpStatusCode.BadRequest, "sql-error")]
    [InlineData("SET ROLE postgres", HttpStatusCode.Forbidden, "forbidden")]
    [InlineData("SELECT * FROM cities WHERE name = ''; DROP TABLE cities; --'", HttpStatusCode.BadRequest, "sql-error")]
    public async Task MoreThanOneStatementOrAnotherRoleIsRefused(string sql, HttpStatusCode status, string type)
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync(QueryUrl(sql), Cancellation);

        await AssertProblemAsync(response, status, type);
        await AssertCitiesUntouchedAsync();
    }

    [Fact]
    public async Task SyntaxErrorsAndUnknownRelationsAreBadRequestsWithPostgresMessageAndPosition()
    {
        using var client = environment.ClientOf(environment.A);

        var syntax = await AssertProblemAsync(await client.GetAsync(QueryUrl("SELEC name FROM cities"), Cancellation),
            HttpStatusCode.BadRequest, "sql-error");
        Assert.Contains("syntax error at or near \"SELEC\"", syntax.GetProperty("detail").GetString());
        Assert.Equal(1, syntax.GetProperty("position").GetInt32());

        var unknown = await AssertProblemAsync(await client.GetAsync(QueryUrl("SELECT * FROM no_such_table"), Cancellation),
            HttpStatusCode.BadRequest, "sql-error");
        Assert.Equal("relation \"no_such_table\" does not exist", unknown.GetProperty("detail").GetString());
        Assert.Equal("42P01", unknown.GetProperty("sqlState").GetString());
        Assert.Equal(15, unknown.GetProperty("position").GetInt32());
    }

    [Theory]
    [InlineData("/api/v3/sql/other_dw/query?q=SELECT%201", HttpStatusCode.NotFound, "other_dw")]
    [InlineData("/api/v3/sql/carto_dw/query", HttpStatusCode.BadRequest, "q is the SQL statement")]
    [InlineData("/api/v3/sql/carto_dw/query?q=%20", HttpStatusCode.BadRequest, "q is the SQL statement")]
    [InlineData("/api/v3/sql/carto_dw/query?q=SELECT%20$1&queryParameters=[1", HttpStatusCode.BadRequest, "not valid JSON")]
    [InlineData("/api/v3/sql/carto_dw/query?q=SELECT%20$1&queryParameters={\"a\":1}", HttpStatusCode.BadRequest, "by name are not supported")]
    [InlineData("/api/v3/sql/carto_dw/query?q=SELECT%20$1&queryParameters=[[1,2]]", HttpStatusCode.BadRequest, "only strings, numbers")]
    [InlineData("/api/v3/sql/carto_dw/query?q=SELECT%201&format=xlsx", HttpStatusCode.BadRequest, "format is one of")]
    [InlineData("/api/v3/sql/carto_dw/query?q=SELECT%201&format=geojson", HttpStatusCode.BadRequest, "needs a geometry")]
    [InlineData("/api/v3/sql/carto_dw/query?q=SELECT%20'pg_class'::regclass", HttpStatusCode.BadRequest, "cast it")]
    [InlineData("/api/v3/sql/carto_dw/query?q=SELECT%20$1", HttpStatusCode.BadRequest, "supplies 0 parameters")]
    [InlineData("/api/v3/sql/carto_dw/query?q=SELECT%20$2&queryParameters=[1]", HttpStatusCode.BadRequest, "could not determine data type of parameter $1")]
    public async Task BadRequestsAreProblemsThatSayWhatIsWrong(string url, HttpStatusCode status, string detail)
    {
        using var client = environment.ClientOf(environment.A);
        var problem = await AssertProblemAsync(await client.GetAsync(url, Cancellation), status, null);
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task WithoutATokenTheApiAnswers401()
    {
        using var client = environment.Maps.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(QueryUrl("SELECT 1"), Cancellation)).StatusCode);
    }

    internal static string QueryUrl(string sql, string? parameters = null) =>
        "/api/v3/sql/carto_dw/query?q=" + Uri.EscapeDataString(sql)
        + (parameters is null ? "" : "&queryParameters=" + Uri.EscapeDataString(parameters));

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? type)
    {
        var text = await response.Content.ReadAsStringAsync(Cancellation);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<JsonElement>(text);
        if (type is not null)
        {
            Assert.Equal("https://carto-self-hosted.dev/problems/" + type, problem.GetProperty("type").GetString());
        }
        return problem;
    }

    private async Task AssertCitiesUntouchedAsync() =>
        Assert.Equal(4L, await environment.WarehouseScalarAsync<long>(
            $"SELECT count(*) FROM \"{environment.A.Schema}\".cities WHERE population IS DISTINCT FROM 0"));
}
