using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Imports;
using CartoSelfHosted.Integration.Tests.Sql;

namespace CartoSelfHosted.Integration.Tests.Accounts;

/// <summary>
/// Nothing of organization A is reachable with B's tokens — its admin's, or an API access token granted everything — through
/// any API: maps, SQL, widgets, stats, jobs, imports, tokens, users. Every attempt is a 4xx problem, never a 500.
/// </summary>
public sealed class TwoOrganizationsTests(TwoOrganizations organizations) : IClassFixture<TwoOrganizations>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private TestOrganization A => organizations.A;

    private TestOrganization B => organizations.B;

    [Fact]
    public async Task NothingOfAnotherOrganizationIsReachableThroughAnyApi()
    {
        // What A has: a map source, a batch job, an import, a token, its user.
        using var aMaps = organizations.Maps.CreateClient(A.Token);
        var aSource = await ReadAsync(await aMaps.GetAsync("/api/v3/maps/carto_dw/table?name=cities", Cancel));
        var aTileJson = aSource.GetProperty("tilejson").GetProperty("url")[0].GetString()!;
        var aTiles = (await ReadAsync(await aMaps.GetAsync(aTileJson, Cancel))).GetProperty("tiles")[0].GetString()!;
        var aJob = (await ReadAsync(await aMaps.PostAsJsonAsync("/api/v3/sql/carto_dw/job", new { query = "SELECT 1" }, Cancel)))
            .GetProperty("id").GetString();
        using var upload = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(TestFiles.PlacesCsv(3)));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        upload.Add(file, "file", "places.csv");
        var aImport = (await ReadAsync(await organizations.Imports.CreateClient(A.Token).PostAsync("/api/v3/imports", upload, Cancel)))
            .GetProperty("id").GetString();
        var aToken = await organizations.CreateTokenAsync(A, new
        {
            grants = new[] { new { connection_name = "carto_dw", source = "*" } }, allowed_apis = new[] { "maps", "sql" },
        });
        var aUser = await organizations.MetadataScalarAsync<Guid>($"SELECT id FROM users WHERE organization_id = '{A.Id}'");

        var bAccessToken = await organizations.CreateTokenAsync(B, new
        {
            grants = new[] { new { connection_name = "carto_dw", source = "*" } }, allowed_apis = new[] { "maps", "sql", "imports" },
        });
        var aTable = Uri.EscapeDataString($"{A.Schema}.cities");
        var aQuery = Uri.EscapeDataString($"SELECT * FROM {A.Schema}.cities");
        foreach (var token in new[] { B.Token, bAccessToken })
        {
            using var maps = organizations.Maps.CreateClient(token);
            await AssertRefusedAsync(await maps.GetAsync(aTileJson, Cancel));
            await AssertRefusedAsync(await maps.GetAsync(aTiles.Replace("{z}/{x}/{y}", "0/0/0"), Cancel));
            await AssertRefusedAsync(await maps.GetAsync(aSource.GetProperty("geojson").GetProperty("url")[0].GetString(), Cancel));
            await AssertRefusedAsync(await maps.GetAsync($"/api/v3/maps/carto_dw/table?name={aTable}", Cancel));
            await AssertRefusedAsync(await maps.GetAsync($"/api/v3/maps/carto_dw/query?q={aQuery}", Cancel));
            await AssertRefusedAsync(await maps.GetAsync($"/api/v3/sql/carto_dw/query?q={aQuery}", Cancel));
            await AssertRefusedAsync(await maps.GetAsync(
                $"/api/v3/sql/carto_dw/model/formula?type=table&source={aTable}&params=%7B%22column%22%3A%22*%22%2C%22operation%22%3A%22count%22%7D", Cancel));
            await AssertRefusedAsync(await maps.GetAsync($"/api/v3/stats/carto_dw/{aTable}/population", Cancel));
            await AssertRefusedAsync(await maps.GetAsync($"/api/v3/stats/carto_dw/population?q={aQuery}", Cancel));
            using var imports = organizations.Imports.CreateClient(token);
            await AssertRefusedAsync(await imports.GetAsync($"/api/v3/imports/{aImport}", Cancel));
            await AssertRefusedAsync(await imports.PostAsync($"/api/v3/imports/{aImport}/cancel", null, Cancel));
            Assert.DoesNotContain(aImport!, await imports.GetStringAsync("/api/v3/imports", Cancel));
        }

        // What needs a user's token: B's admin's.
        using var bMaps = organizations.Maps.CreateClient(B.Token);
        await AssertRefusedAsync(await bMaps.GetAsync($"/api/v3/sql/carto_dw/job/{aJob}", Cancel));
        await AssertRefusedAsync(await bMaps.DeleteAsync($"/api/v3/sql/carto_dw/job/{aJob}", Cancel));
        Assert.DoesNotContain(aJob!, await bMaps.GetStringAsync("/api/v3/sql/jobs", Cancel));
        using var bAccounts = organizations.Accounts.CreateClient(B.Token);
        await AssertRefusedAsync(await bAccounts.GetAsync($"/api/v3/tokens/{aToken}", Cancel));
        await AssertRefusedAsync(await bAccounts.DeleteAsync($"/api/v3/tokens/{aToken}", Cancel));
        var bUsers = await bAccounts.GetStringAsync("/api/v3/accounts/users", Cancel);
        Assert.DoesNotContain(aUser.ToString(), bUsers);
        Assert.DoesNotContain("@a.example.com", bUsers);
        await AssertRefusedAsync(await bAccounts.PatchAsJsonAsync($"/api/v3/accounts/users/{aUser}", new { role = "viewer" }, Cancel));
        await AssertRefusedAsync(await bAccounts.DeleteAsync($"/api/v3/accounts/users/{aUser}", Cancel));

        // And A's things are all still there.
        await AssertOkAsync(await aMaps.GetAsync($"/api/v3/sql/carto_dw/job/{aJob}", Cancel));
        await AssertOkAsync(await organizations.Imports.CreateClient(A.Token).GetAsync($"/api/v3/imports/{aImport}", Cancel));
        await AssertOkAsync(await organizations.Accounts.CreateClient(A.Token).GetAsync($"/api/v3/tokens/{aToken}", Cancel));
        Assert.Equal("admin", await organizations.MetadataScalarAsync<string>($"SELECT role FROM users WHERE id = '{aUser}'"));
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(Cancel);
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {text}");
            return JsonSerializer.Deserialize<JsonElement>(text);
        }
    }

    private static async Task AssertOkAsync(HttpResponseMessage response) => await ReadAsync(response);

    /// <summary>A 403 or 404 problem: refused or not there, as the API decides, and never a 500.</summary>
    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(Cancel);
            Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound,
                $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.False(string.IsNullOrWhiteSpace(JsonSerializer.Deserialize<JsonElement>(body).GetProperty("error").GetString()));
        }
    }
}
