using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Sql;

namespace CartoSelfHosted.Integration.Tests.Maps;

/// <summary>
/// CARTO's Stats API of maps-api (<c>/api/v3/stats/{connection}/{table}/{column}</c> and the query form) over
/// organization A's four cities, as fetchMap and <c>widgetSource.getExtent</c> ask for it.
/// </summary>
public sealed class StatsApiTests(SqlEnvironment environment) : IClassFixture<SqlEnvironment>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ANumberHasItsFiguresAndQuantilesFromMinToMax()
    {
        var stats = await StatsAsync("/api/v3/stats/carto_dw/cities/population");
        Assert.Equal("population", stats.GetProperty("attribute").GetString());
        Assert.Equal("Number", stats.GetProperty("type").GetString());
        Assert.Equal((545000, 3300000, 6645000L), (stats.GetProperty("min").GetInt32(), stats.GetProperty("max").GetInt32(), stats.GetProperty("sum").GetInt64()));
        Assert.Equal(2215000, stats.GetProperty("avg").GetDouble());
        var quantiles = stats.GetProperty("quantiles");
        Assert.Equal(Enumerable.Range(3, 18).Select(n => n.ToString()), quantiles.EnumerateObject().Select(property => property.Name));
        // Three breaks of the three populations: min, the middle one, max.
        Assert.Equal([545000, 1672500, 2800000, 3050000, 3300000], quantiles.GetProperty("4").EnumerateArray().Select(value => value.GetDouble()));
        Assert.Equal(4, quantiles.GetProperty("3").GetArrayLength());
    }

    [Fact]
    public async Task TextHasItsCategoriesAndADateItsRange()
    {
        var names = await StatsAsync("/api/v3/stats/carto_dw/cities/name");
        Assert.Equal("String", names.GetProperty("type").GetString());
        Assert.Equal(4, names.GetProperty("categories").GetArrayLength());
        Assert.All(names.GetProperty("categories").EnumerateArray(), category => Assert.Equal(1, category.GetProperty("frequency").GetInt32()));

        var founded = await StatsAsync("/api/v3/stats/carto_dw/cities/founded");
        Assert.Equal("Timestamp", founded.GetProperty("type").GetString());
        Assert.Equal(("0865-01-01", "1534-12-06"), (founded.GetProperty("min").GetString(), founded.GetProperty("max").GetString()));
    }

    [Fact]
    public async Task TheGeometrysExtentKeepsToTheFilters()
    {
        var all = (await StatsAsync("/api/v3/stats/carto_dw/cities/geom")).GetProperty("extent");
        Assert.Equal((-78.47, -0.18, -3.7, 40.42), (all.GetProperty("xmin").GetDouble(), all.GetProperty("ymin").GetDouble(),
            all.GetProperty("xmax").GetDouble(), all.GetProperty("ymax").GetDouble()));
        var filters = Uri.EscapeDataString("""{"name": {"in": {"values": ["Lisbon", "Madrid"]}}}""");
        var iberia = (await StatsAsync($"/api/v3/stats/carto_dw/cities/geom?filters={filters}&spatialDataType=geo")).GetProperty("extent");
        Assert.Equal(-9.14, iberia.GetProperty("xmin").GetDouble());
    }

    [Fact]
    public async Task AQueryColumnTakesItsParametersByGetAndByPost()
    {
        var q = Uri.EscapeDataString("SELECT * FROM cities WHERE population > $1");
        var byGet = await StatsAsync($"/api/v3/stats/carto_dw/population?q={q}&queryParameters={Uri.EscapeDataString("[1000000]")}");
        Assert.Equal(2800000, byGet.GetProperty("min").GetInt32());

        using var client = environment.ClientOf(environment.A);
        var response = await client.PostAsJsonAsync("/api/v3/stats/carto_dw/population",
            new { q = "SELECT * FROM cities WHERE population > $1", queryParameters = new[] { 1000000 }, client = "deck-gl-carto" }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal(3300000, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("max").GetInt32());
    }

    [Theory]
    [InlineData("/api/v3/stats/carto_dw/cities/no_such_column", 400, "Column not found")]
    [InlineData("/api/v3/stats/carto_dw/cities/tags", 400, "jsonb")]
    [InlineData("/api/v3/stats/carto_dw/secrets/secret", 404, "secrets")]
    [InlineData("/api/v3/stats/elsewhere/cities/name", 404, "elsewhere")]
    [InlineData("/api/v3/stats/carto_dw/cities/name?filters=%7Bnot", 400, "filters")]
    [InlineData("/api/v3/stats/carto_dw/name", 400, "source")]
    public async Task BadStatsRequestsAreProblems(string url, int status, string detail)
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync(url, Cancellation);
        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detail, await response.Content.ReadAsStringAsync(Cancellation), StringComparison.OrdinalIgnoreCase);
    }

    private async Task<JsonElement> StatsAsync(string url)
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync(url, Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancellation));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
    }
}
