using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace CartoSelfHosted.Integration.Tests.Lds;

/// <summary>
/// lds-api's geocoding endpoints as a client sees them: CARTO's answer shape and what a candidate carries, the ways one
/// name may be written, the attribution, bad input as problems, tokens, and the SQL function organizations call.
/// </summary>
[Collection(LdsEnvironment.Collection)]
public sealed class GeocodingApiTests(LdsEnvironment environment)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Zürich")]
    [InlineData("zurich")]
    [InlineData("ZÜRICH!")]
    [InlineData("Zurich, Switzerland")]
    [InlineData("zürich, ZH, CH")]
    [InlineData("Zurihc, Zurich")]
    public async Task OnePlaceWrittenAnyWayIsFound(string address)
    {
        var candidate = Assert.Single(await environment.CandidatesAsync($"/api/v3/lds/geocoding/geocode?address={Uri.EscapeDataString(address)}"));
        Assert.Equal(2657896, candidate.GetProperty("id").GetInt64());
        Assert.Equal("Zürich", candidate.GetProperty("name").GetString());
        Assert.Equal("CH", candidate.GetProperty("country_code").GetString());
        Assert.Equal("Switzerland", candidate.GetProperty("country").GetString());
        Assert.Equal("Zurich", candidate.GetProperty("admin1").GetString());
        Assert.Equal(47.36667, candidate.GetProperty("latitude").GetDouble());
        Assert.Equal(8.55, candidate.GetProperty("longitude").GetDouble());
        Assert.True(candidate.GetProperty("population").GetInt32() > 300_000);
        Assert.InRange(candidate.GetProperty("relevance").GetDouble(), 0.1, 1);
        Assert.Equal(address == "Zurihc, Zurich" ? "fuzzy" : "exact", candidate.GetProperty("match_type").GetString());
    }

    [Fact]
    public async Task TheAnswerIsCartosEnvelopeWithAttributionAndTheRegionAndCountryRankCandidates()
    {
        using var client = environment.Client();
        using var response = await client.GetAsync("/api/v3/lds/geocoding/geocode?address=Paris&limit=3", Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("GeoNames", response.Headers.GetValues("X-Data-Attribution").Single());
        var answer = Assert.Single((await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).EnumerateArray());
        Assert.Contains("CC BY", answer.GetProperty("attribution").GetString());
        Assert.Contains("Natural Earth", answer.GetProperty("attribution").GetString());
        var candidates = answer.GetProperty("value").EnumerateArray().ToList();
        Assert.Equal(3, candidates.Count);
        Assert.Equal("Paris, Île-de-France, France", candidates[0].GetProperty("address").GetString());
        Assert.True(candidates[0].GetProperty("relevance").GetDouble() >= candidates[1].GetProperty("relevance").GetDouble());

        Assert.Equal("Texas", Assert.Single(await environment.CandidatesAsync("/api/v3/lds/geocoding/geocode?address=paris,%20texas"))
            .GetProperty("admin1").GetString());
        Assert.Equal("Illinois", Assert.Single(await environment.CandidatesAsync("/api/v3/lds/geocoding/geocode?address=Springfield,%20IL"))
            .GetProperty("admin1").GetString());
        Assert.All(await environment.CandidatesAsync("/api/v3/lds/geocoding/geocode?address=Paris&country=us&limit=5"),
            candidate => Assert.Equal("US", candidate.GetProperty("country_code").GetString()));
        Assert.Equal("alternate_name", Assert.Single(await environment.CandidatesAsync("/api/v3/lds/geocoding/geocode?address=M%C3%BCnchen"))
            .GetProperty("match_type").GetString());
    }

    [Fact]
    public async Task ParametersMayComeAsAJsonBody()
    {
        using var client = environment.Client();
        using var geocode = await client.PostAsJsonAsync("/api/v3/lds/geocoding/geocode", new { address = "paris", country = "US", limit = 2 }, Cancellation);
        var candidates = Assert.Single((await geocode.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).EnumerateArray()).GetProperty("value");
        Assert.Equal(2, candidates.GetArrayLength());
        Assert.All(candidates.EnumerateArray(), candidate => Assert.Equal("US", candidate.GetProperty("country_code").GetString()));

        using var reverse = await client.PostAsJsonAsync("/api/v3/lds/geocoding/reverse", new { lat = 48.137, lon = 11.575 }, Cancellation);
        Assert.Equal("DE-BY", Assert.Single((await reverse.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).EnumerateArray())
            .GetProperty("value")[0].GetProperty("region_code").GetString());

        await LdsEnvironment.AssertProblemAsync(await client.PostAsJsonAsync("/api/v3/lds/geocoding/geocode", new { country = "FR" }, Cancellation), "address");
        await LdsEnvironment.AssertProblemAsync(await client.PostAsJsonAsync("/api/v3/lds/geocoding/reverse", new { lat = 100, lon = 0 }, Cancellation), "lat");
    }

    [Theory]
    [InlineData("qzxqv wbkjh")]
    [InlineData("qzxqv wbkjh, nowhere land")]
    [InlineData("!!!")]
    public async Task NonsenseIsAnEmptyListNotAnError(string address) =>
        Assert.Empty(await environment.CandidatesAsync($"/api/v3/lds/geocoding/geocode?address={Uri.EscapeDataString(address)}"));

    [Theory]
    [InlineData("/api/v3/lds/geocoding/geocode", "address")]
    [InlineData("/api/v3/lds/geocoding/geocode?address=%20", "address")]
    [InlineData("/api/v3/lds/geocoding/geocode?address=Paris&country=FRA", "country")]
    [InlineData("/api/v3/lds/geocoding/geocode?address=Paris&country=F1", "country")]
    [InlineData("/api/v3/lds/geocoding/geocode?address=Paris&limit=0", "limit")]
    [InlineData("/api/v3/lds/geocoding/geocode?address=Paris&limit=11", "limit")]
    [InlineData("/api/v3/lds/geocoding/geocode?address=Paris&limit=many", "limit")]
    [InlineData("/api/v3/lds/geocoding/reverse?lat=40", "lon")]
    [InlineData("/api/v3/lds/geocoding/reverse?lat=91&lon=0", "lat")]
    [InlineData("/api/v3/lds/geocoding/reverse?lat=0&lon=-180.5", "lon")]
    [InlineData("/api/v3/lds/geocoding/reverse?lat=north&lon=0", "lat")]
    public async Task BadQueriesAreProblems(string url, string named)
    {
        using var client = environment.Client();
        await LdsEnvironment.AssertProblemAsync(await client.GetAsync(url, Cancellation), named);
    }

    [Fact]
    public async Task AnAddressTooLongIsAProblem()
    {
        using var client = environment.Client();
        await LdsEnvironment.AssertProblemAsync(await client.GetAsync($"/api/v3/lds/geocoding/geocode?address={new string('a', 301)}", Cancellation), "300");
    }

    [Theory]
    [InlineData("", "body")]
    [InlineData("{not json", "body")]
    [InlineData("""{"addresses": "Paris"}""", "addresses")]
    [InlineData("""{"addresses": []}""", "addresses")]
    [InlineData("""{"addresses": ["Paris"], "country": "France"}""", "country")]
    [InlineData("""{"addresses": ["Paris"], "limit": 0}""", "limit")]
    public async Task BadBatchesAreProblems(string body, string named)
    {
        using var client = environment.Client();
        await LdsEnvironment.AssertProblemAsync(await client.PostAsync("/api/v3/lds/geocoding/batch",
            new StringContent(body, Encoding.UTF8, "application/json"), Cancellation), named);
    }

    [Fact]
    public async Task MoreThanTenThousandAddressesAreAProblem()
    {
        using var client = environment.Client();
        await LdsEnvironment.AssertProblemAsync(await client.PostAsJsonAsync("/api/v3/lds/geocoding/batch",
            new { addresses = Enumerable.Repeat("Paris", 10_001) }, Cancellation), "10,000");
    }

    [Fact]
    public async Task EveryEndpointNeedsATokenAndAnApiAccessTokenNeedsLds()
    {
        string[] urls = ["/api/v3/lds/geocoding/geocode?address=Paris", "/api/v3/lds/geocoding/reverse?lat=48.85&lon=2.35"];
        using var anonymous = environment.Lds.CreateClient();
        foreach (var url in urls)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(url, Cancellation)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await anonymous.PostAsJsonAsync("/api/v3/lds/geocoding/batch", new { addresses = new[] { "Paris" } }, Cancellation)).StatusCode);

        using var mapsOnly = environment.Lds.CreateClient(await environment.ApiAccessTokenAsync("maps"));
        foreach (var url in urls)
        {
            await LdsEnvironment.AssertProblemAsync(await mapsOnly.GetAsync(url, Cancellation), "allowed_apis", HttpStatusCode.Forbidden);
        }
        using var lds = environment.Lds.CreateClient(await environment.ApiAccessTokenAsync("lds"));
        foreach (var url in urls)
        {
            Assert.Equal(HttpStatusCode.OK, (await lds.GetAsync(url, Cancellation)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK,
            (await lds.PostAsJsonAsync("/api/v3/lds/geocoding/batch", new { addresses = new[] { "Paris" } }, Cancellation)).StatusCode);
    }

    [Fact]
    public async Task AnOrganizationsSqlGeocodesATableWithLdsGeocode()
    {
        await environment.Databases.AsOrganizationAsync(environment.Databases.A, """
            CREATE TABLE stores (address text, geom geometry(Point, 4326));
            INSERT INTO stores (address) VALUES ('Valladolid, Spain'), ('kyoto'), ('qzxqv wbkjh');
            UPDATE stores SET geom = lds_geocode(address);
            CREATE TABLE found AS SELECT address, ST_X(geom) AS lon, ST_Y(geom) AS lat, (SELECT name FROM lds.geocode(address)) AS place
                FROM stores ORDER BY address;
            """);
        var rows = await environment.WarehouseRowsAsync($"SELECT address, lon, lat, place FROM {environment.Databases.A.Schema}.found ORDER BY address",
            reader => (Address: reader.GetString(0), Lon: reader.IsDBNull(1) ? (double?)null : reader.GetDouble(1), Place: reader.IsDBNull(3) ? null : reader.GetString(3)));
        Assert.Equal(("Kyoto", true), (rows.Single(row => row.Address == "kyoto").Place, rows.Single(row => row.Address == "kyoto").Lon > 135));
        Assert.Equal("Valladolid", rows.Single(row => row.Address == "Valladolid, Spain").Place);
        Assert.Null(rows.Single(row => row.Address == "qzxqv wbkjh").Lon);
    }
}
