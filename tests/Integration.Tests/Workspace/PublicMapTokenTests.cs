using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.Integration.Tests.Workspace;

/// <summary>
/// A public map's API access token: minted when the map is published, granted exactly its datasets' sources (so maps-api
/// refuses it any other table or query), read again on every open, re-minted when the datasets change, and refused
/// everywhere within a second of unpublishing or deleting the map.
/// </summary>
[Collection(SavedMapsEnvironment.Collection)]
public sealed class PublicMapTokenTests(SavedMapsEnvironment environment)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private const string CitiesTable = "/api/v3/maps/carto_dw/table?name=cities";

    private static readonly string BigCitiesQuery = $"/api/v3/maps/carto_dw/query?q={Uri.EscapeDataString(SavedMapsEnvironment.BigCitiesQuery)}";

    [Fact]
    public async Task PublishingMintsATokenGrantedExactlyTheDatasetsSourcesWhichUnpublishingRevokesWithinASecond()
    {
        var saved = await environment.SaveAsync(environment.Owner, SavedMaps.TwoLayers("cities", SavedMapsEnvironment.BigCitiesQuery));
        var id = saved.GetProperty("id").GetGuid();
        using var owner = environment.WorkspaceClient(environment.Owner);
        using var anonymous = environment.WorkspaceClient(null);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/v3/maps/public/{id}", Cancel)).StatusCode);

        var published = await ChangeAsync(owner, id, new { privacy = "public" });
        var token = published.GetProperty("token").GetString()!;
        // Opened without a token, as fetchMap does, again and again: the same token, read back from what the map keeps.
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var opened = await anonymous.GetFromJsonAsync<JsonElement>($"/api/v3/maps/public/{id}", Cancel);
            Assert.Equal(token, opened.GetProperty("token").GetString());
            Assert.Equal(published.GetProperty("keplerMapConfig").GetRawText(), opened.GetProperty("keplerMapConfig").GetRawText());
        }

        // Its row: the owner's, the map's, granted the two sources through maps and sql; the value itself is nowhere.
        Assert.Equal("""[{"source": "cities", "connection_name": "carto_dw"}, {"source": "SELECT * FROM cities WHERE population > 1000000", "connection_name": "carto_dw"}]""",
            await environment.MetadataScalarAsync<string>($"SELECT grants::text FROM api_tokens WHERE map_id = '{id}' AND revoked_at IS NULL"));
        Assert.Equal("maps,sql", await environment.MetadataScalarAsync<string>(
            $"SELECT array_to_string(allowed_apis, ',') FROM api_tokens WHERE map_id = '{id}' AND revoked_at IS NULL"));
        Assert.Equal(environment.Owner.Id, await environment.MetadataScalarAsync<Guid>(
            $"SELECT user_id FROM api_tokens WHERE map_id = '{id}' AND revoked_at IS NULL"));
        Assert.Equal(0, await environment.MetadataScalarAsync<long>(
            $"SELECT count(*) FROM maps WHERE public_token LIKE '%{token[ApiTokensPrefixLength..]}%'"));

        // maps-api instantiates the map's two sources with it, and nothing else.
        using var maps = environment.Maps.CreateClient(token);
        Assert.Equal(HttpStatusCode.OK, (await maps.GetAsync(CitiesTable, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await maps.GetAsync(BigCitiesQuery, Cancel)).StatusCode);
        foreach (var other in new[] { "/api/v3/maps/carto_dw/table?name=roads", "/api/v3/maps/carto_dw/query?q=SELECT%20*%20FROM%20cities" })
        {
            using var refused = await maps.GetAsync(other, Cancel);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{other}: {(int)refused.StatusCode}");
        }

        // Renamed while public: the token stays.
        Assert.Equal(token, (await ChangeAsync(owner, id, new { title = "Renamed" })).GetProperty("token").GetString());

        // Its datasets change while public: the old token stops, a new one reads the new sources only.
        var narrowed = await ChangeAsync(owner, id, new
        {
            datasets = new[] { SavedMaps.Dataset(SavedMaps.TableDataset, "table", "cities") },
            keplerMapConfig = SavedMaps.KeplerMapConfig(SavedMaps.Layer("points", SavedMaps.TableDataset, new { })),
        });
        var narrowToken = narrowed.GetProperty("token").GetString()!;
        Assert.NotEqual(token, narrowToken);
        await Revocation.RefusedWithinASecondAsync(() => maps.GetAsync(CitiesTable, Cancel), Cancel);
        using var narrow = environment.Maps.CreateClient(narrowToken);
        Assert.Equal(HttpStatusCode.OK, (await narrow.GetAsync(CitiesTable, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await narrow.GetAsync(BigCitiesQuery, Cancel)).StatusCode);

        // Unpublished: refused within a second, and the map is no one's to open without a token.
        var unpublished = await ChangeAsync(owner, id, new { privacy = "organization" });
        Assert.False(unpublished.TryGetProperty("token", out _));
        var stopped = await Revocation.RefusedWithinASecondAsync(() => narrow.GetAsync(CitiesTable, Cancel), Cancel);
        TestContext.Current.TestOutputHelper?.WriteLine($"unpublished map's token refused {stopped.TotalMilliseconds:0} ms after");
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/v3/maps/public/{id}", Cancel)).StatusCode);

        // Published again: a fresh token. Deleted: it stops too.
        var republished = await ChangeAsync(owner, id, new { privacy = "public" });
        var freshToken = republished.GetProperty("token").GetString()!;
        Assert.NotEqual(narrowToken, freshToken);
        using var fresh = environment.Maps.CreateClient(freshToken);
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync(CitiesTable, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/v3/maps/{id}", Cancel)).StatusCode);
        await Revocation.RefusedWithinASecondAsync(() => fresh.GetAsync(CitiesTable, Cancel), Cancel);
        Assert.Equal(3, await environment.MetadataScalarAsync<long>($"SELECT count(*) FROM api_tokens WHERE name = 'public map {id}' AND revoked_at IS NOT NULL"));
    }

    [Fact]
    public async Task AMapSavedPublicHasItsTokenAtOnceAndACopyOfItIsPrivateWithoutOne()
    {
        var saved = await environment.SaveAsync(environment.Owner, SavedMaps.TwoLayers("cities", SavedMapsEnvironment.BigCitiesQuery, "public"));
        using var maps = environment.Maps.CreateClient(saved.GetProperty("token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await maps.GetAsync(BigCitiesQuery, Cancel)).StatusCode);

        using var colleague = environment.WorkspaceClient(environment.Colleague);
        using var copied = await colleague.PostAsJsonAsync($"/api/v3/maps/{saved.GetProperty("id")}/copy", new { title = "Mine" }, Cancel);
        var copy = await copied.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(HttpStatusCode.Created, copied.StatusCode);
        Assert.Equal(("Mine", "private"), (copy.GetProperty("title").GetString(), copy.GetProperty("privacy").GetString()));
        Assert.False(copy.TryGetProperty("token", out _));
    }

    private static readonly int ApiTokensPrefixLength = Platform.Security.ApiTokens.Prefix.Length;

    private static async Task<JsonElement> ChangeAsync(HttpClient client, Guid id, object change)
    {
        using var response = await client.PatchAsJsonAsync($"/api/v3/maps/{id}", change, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }
}
