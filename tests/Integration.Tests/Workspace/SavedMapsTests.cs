using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Accounts;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.Integration.Tests.Workspace;

/// <summary>
/// workspace-api's saved maps: saved, read, listed, renamed, copied and deleted in the shape fetchMap reads; bad maps
/// refused with problem details and nothing written; and who sees and changes a private, organization and public map.
/// </summary>
[Collection(SavedMapsEnvironment.Collection)]
public sealed class SavedMapsTests(SavedMapsEnvironment environment)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private Person Owner => environment.Owner;

    [Fact]
    public async Task AMapIsSavedReadListedRenamedCopiedAndDeletedInFetchMapsShape()
    {
        var saved = await environment.SaveAsync(Owner, SavedMaps.TwoLayers("cities", SavedMapsEnvironment.BigCitiesQuery));
        var id = saved.GetProperty("id").GetGuid();
        Assert.Equal("Cities", saved.GetProperty("title").GetString());
        Assert.Equal("private", saved.GetProperty("privacy").GetString());
        Assert.Equal(Owner.Id, saved.GetProperty("ownerId").GetGuid());
        Assert.False(saved.TryGetProperty("token", out _));
        // The document comes back as it was sent, members the checks do not look at included.
        Assert.Equal("postgres", saved.GetProperty("datasets")[0].GetProperty("providerId").GetString());
        Assert.Equal("v1", saved.GetProperty("keplerMapConfig").GetProperty("version").GetString());
        Assert.Equal("quantile", saved.GetProperty("keplerMapConfig").GetProperty("config").GetProperty("visState").GetProperty("layers")[0]
            .GetProperty("visualChannels").GetProperty("colorScale").GetString());

        using var owner = environment.WorkspaceClient(Owner);
        var read = await owner.GetFromJsonAsync<JsonElement>($"/api/v3/maps/{id}", Cancel);
        Assert.Equal(saved.GetRawText(), read.GetRawText());
        var list = await owner.GetFromJsonAsync<JsonElement>("/api/v3/maps?pageSize=100", Cancel);
        Assert.Contains(id, list.GetProperty("maps").EnumerateArray().Select(map => map.GetProperty("id").GetGuid()));
        Assert.Equal(100, list.GetProperty("pageSize").GetInt32());

        // Renamed: only the title changes.
        using (var renamed = await owner.PatchAsJsonAsync($"/api/v3/maps/{id}", new { title = "Iberia" }, Cancel))
        {
            var after = await ReadAsync(renamed, HttpStatusCode.OK);
            Assert.Equal("Iberia", after.GetProperty("title").GetString());
            Assert.Equal(saved.GetProperty("datasets").GetRawText(), after.GetProperty("datasets").GetRawText());
            Assert.True(after.GetProperty("updatedAt").GetDateTimeOffset() > saved.GetProperty("updatedAt").GetDateTimeOffset());
        }

        // Copied, by a colleague who may see it once it is shared with the organization: the copy is the colleague's, private.
        using (var shared = await owner.PatchAsJsonAsync($"/api/v3/maps/{id}", new { privacy = "organization" }, Cancel))
        {
            await ReadAsync(shared, HttpStatusCode.OK);
        }
        using var colleague = environment.WorkspaceClient(environment.Colleague);
        using var copied = await colleague.PostAsync($"/api/v3/maps/{id}/copy", null, Cancel);
        var copy = await ReadAsync(copied, HttpStatusCode.Created);
        Assert.Equal("Iberia (copy)", copy.GetProperty("title").GetString());
        Assert.Equal(environment.Colleague.Id, copy.GetProperty("ownerId").GetGuid());
        Assert.Equal("private", copy.GetProperty("privacy").GetString());
        Assert.Equal(saved.GetProperty("keplerMapConfig").GetRawText(), copy.GetProperty("keplerMapConfig").GetRawText());
        Assert.Equal($"/api/v3/maps/{copy.GetProperty("id")}", copied.Headers.Location?.OriginalString);

        // Deleted: gone for its owner; the copy stays.
        using (var deleted = await owner.DeleteAsync($"/api/v3/maps/{id}", Cancel))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        await AssertProblemAsync(await owner.GetAsync($"/api/v3/maps/{id}", Cancel), HttpStatusCode.NotFound);
        await AssertProblemAsync(await owner.DeleteAsync($"/api/v3/maps/{id}", Cancel), HttpStatusCode.NotFound);
        await ReadAsync(await colleague.GetAsync($"/api/v3/maps/{copy.GetProperty("id")}", Cancel), HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheListIsPagedLastChangedFirst()
    {
        var person = environment.Admin;
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await environment.SaveAsync(person, new { title = $"page {i}" })).GetProperty("id").GetGuid());
        }
        using var client = environment.WorkspaceClient(person);
        var first = await client.GetFromJsonAsync<JsonElement>("/api/v3/maps?page=1&pageSize=2", Cancel);
        var second = await client.GetFromJsonAsync<JsonElement>("/api/v3/maps?page=2&pageSize=2", Cancel);
        var listed = first.GetProperty("maps").EnumerateArray().Concat(second.GetProperty("maps").EnumerateArray())
            .Select(map => map.GetProperty("id").GetGuid()).ToList();
        Assert.Equal(2, first.GetProperty("maps").GetArrayLength());
        Assert.Equal(first.GetProperty("total").GetInt64(), second.GetProperty("total").GetInt64());
        Assert.True(first.GetProperty("total").GetInt64() >= 3);
        // The three just saved are the newest of what the admin sees, newest first.
        Assert.Equal(ids.AsEnumerable().Reverse(), listed.Take(3));
        await AssertProblemAsync(await client.GetAsync("/api/v3/maps?page=0", Cancel), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await client.GetAsync("/api/v3/maps?pageSize=101", Cancel), HttpStatusCode.BadRequest);
    }

    public static TheoryData<string, string> BadMaps => new()
    {
        { "keplerMapConfig of version v2", Body(kepler: """{"version": "v2", "config": {"visState": {"layers": []}}}""") },
        { "keplerMapConfig without visState.layers", Body(kepler: """{"version": "v1", "config": {"mapState": {}}}""") },
        { "a layer without config.visConfig", Body(layer: """{"id": "l", "type": "mvt", "config": {"dataId": "d"}, "visualChannels": {}}""") },
        { "a layer without visualChannels", Body(layer: """{"id": "l", "type": "mvt", "config": {"dataId": "d", "visConfig": {}}}""") },
        { "a layer whose dataId names no dataset", Body(layer: """{"id": "l", "type": "mvt", "config": {"dataId": "nope", "visConfig": {}}, "visualChannels": {}}""") },
        { "an outdated layer type (point)", Body(layer: """{"id": "l", "type": "point", "config": {"dataId": "d", "visConfig": {}}, "visualChannels": {}}""") },
        { "interactionConfig without tooltip", Body(interaction: """{"brush": {}}""") },
        { "a dataset of type tileset", Body(dataset: """{"id": "d", "type": "tileset", "source": "cities", "connectionName": "carto_dw"}""") },
        { "a dataset without connectionName", Body(dataset: """{"id": "d", "type": "table", "source": "cities"}""") },
        { "two datasets with one id", Body(dataset: """{"id": "d", "type": "table", "source": "cities", "connectionName": "carto_dw"}, {"id": "d", "type": "table", "source": "roads", "connectionName": "carto_dw"}""") },
        { "datasets that is no list", """{"title": "x", "datasets": {"id": "d"}}""" },
        { "privacy 'secret'", """{"title": "x", "privacy": "secret"}""" },
        { "a blank title", """{"title": "  "}""" },
        { "malformed JSON", """{"title": """ },
    };

    [Theory]
    [MemberData(nameof(BadMaps))]
    public async Task ABadMapIsA400ProblemAndNothingIsSaved(string badInput, string body)
    {
        var person = environment.Colleague;
        var before = await CountMapsAsync(person);
        using var client = environment.WorkspaceClient(person);
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        var problem = await AssertProblemAsync(await client.PostAsync("/api/v3/maps", content, Cancel), HttpStatusCode.BadRequest);

        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), badInput);
        Assert.Equal(before, await CountMapsAsync(person));
    }

    [Fact]
    public async Task AChangeThatLeavesALayerWithoutItsDatasetIsA409AndChangesNothing()
    {
        var saved = await environment.SaveAsync(Owner, SavedMaps.TwoLayers("cities", SavedMapsEnvironment.BigCitiesQuery));
        var id = saved.GetProperty("id").GetGuid();
        using var owner = environment.WorkspaceClient(Owner);

        // The query's layer still names it.
        var problem = await AssertProblemAsync(await owner.PatchAsJsonAsync($"/api/v3/maps/{id}",
            new { datasets = new[] { SavedMaps.Dataset(SavedMaps.TableDataset, "table", "cities") } }, Cancel), HttpStatusCode.Conflict);
        Assert.Contains(SavedMaps.QueryDataset, problem.GetProperty("detail").GetString());
        // A bad member of a change is a 400, and changes nothing either.
        await AssertProblemAsync(await owner.PatchAsJsonAsync($"/api/v3/maps/{id}", new { title = "kept?", privacy = "everyone" }, Cancel),
            HttpStatusCode.BadRequest);

        Assert.Equal(saved.GetRawText(), (await owner.GetFromJsonAsync<JsonElement>($"/api/v3/maps/{id}", Cancel)).GetRawText());
        await AssertProblemAsync(await owner.PatchAsJsonAsync($"/api/v3/maps/{Guid.NewGuid()}", new { title = "x" }, Cancel), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("private")]
    [InlineData("organization")]
    [InlineData("public")]
    public async Task EachPrivacyIsSeenAndChangedByWhomItSays(string privacy)
    {
        var saved = await environment.SaveAsync(Owner, SavedMaps.TwoLayers("cities", SavedMapsEnvironment.BigCitiesQuery, privacy));
        var id = saved.GetProperty("id").GetGuid();
        var shared = privacy != "private";

        // Who reads it, by its id and on fetchMap's path; who finds it in their list.
        foreach (var (person, sees, lists) in new (Person? Person, bool Sees, bool Lists)[]
        {
            (Owner, true, true),
            (environment.Admin, true, true),
            (environment.Colleague, shared, shared),
            (environment.Viewer, shared, shared),
            (environment.Stranger, privacy == "public", false),
            (null, privacy == "public", false),
        })
        {
            using var client = environment.WorkspaceClient(person);
            var who = person?.ToString() ?? "nobody";
            using var publicPath = await client.GetAsync($"/api/v3/maps/public/{id}", Cancel);
            if (sees)
            {
                var map = await ReadAsync(publicPath, HttpStatusCode.OK);
                // Only a public map carries a token; anyone else who sees it has their own.
                Assert.True(map.TryGetProperty("token", out _) == (privacy == "public"), who);
            }
            else
            {
                // Not found, never forbidden: a map's id tells nobody who may not see it that it exists.
                await AssertProblemAsync(publicPath, HttpStatusCode.NotFound);
            }
            if (person is null)
            {
                await AssertProblemAsync(await client.GetAsync($"/api/v3/maps/{id}", Cancel), HttpStatusCode.Unauthorized);
                continue;
            }
            using var byId = await client.GetAsync($"/api/v3/maps/{id}", Cancel);
            Assert.True(byId.StatusCode == (sees ? HttpStatusCode.OK : HttpStatusCode.NotFound), $"{who}: {(int)byId.StatusCode}");
            var listed = (await client.GetFromJsonAsync<JsonElement>("/api/v3/maps?pageSize=100", Cancel)).GetProperty("maps").EnumerateArray()
                .Any(map => map.GetProperty("id").GetGuid() == id);
            Assert.True(listed == lists, $"{who} lists it: {listed}");
        }

        // Who changes and deletes it: its owner and an admin. Anyone else who sees it is refused; who does not, told nothing.
        foreach (var (person, sees) in new[] { (environment.Colleague, shared), (environment.Stranger, privacy == "public") })
        {
            using var client = environment.WorkspaceClient(person);
            var expected = sees ? HttpStatusCode.Forbidden : HttpStatusCode.NotFound;
            await AssertProblemAsync(await client.PatchAsJsonAsync($"/api/v3/maps/{id}", new { title = "mine" }, Cancel), expected);
            await AssertProblemAsync(await client.DeleteAsync($"/api/v3/maps/{id}", Cancel), expected);
        }
        using var viewer = environment.WorkspaceClient(environment.Viewer);
        await AssertProblemAsync(await viewer.PatchAsJsonAsync($"/api/v3/maps/{id}", new { title = "mine" }, Cancel), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await viewer.PostAsJsonAsync("/api/v3/maps", new { title = "mine" }, Cancel), HttpStatusCode.Forbidden);
        using var admin = environment.WorkspaceClient(environment.Admin);
        await ReadAsync(await admin.PatchAsJsonAsync($"/api/v3/maps/{id}", new { title = "the admin's title" }, Cancel), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v3/maps/{id}", Cancel)).StatusCode);
    }

    [Fact]
    public async Task TheCrudNeedsAUsersTokenAndFetchMapsPathRefusesABadOne()
    {
        var saved = await environment.SaveAsync(Owner, SavedMaps.TwoLayers("cities", SavedMapsEnvironment.BigCitiesQuery, "public"));
        var id = saved.GetProperty("id").GetGuid();

        // The public map's own token is an API access token: it reads the map's sources, not the Maps CRUD.
        using var withMapToken = environment.Workspace.CreateClient(saved.GetProperty("token").GetString()!);
        await AssertProblemAsync(await withMapToken.GetAsync("/api/v3/maps", Cancel), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await withMapToken.PostAsJsonAsync("/api/v3/maps", new { title = "x" }, Cancel), HttpStatusCode.Forbidden);

        // A token that is unknown is a 401 even where no token is needed: the caller learns its token is bad.
        using var unknown = environment.Workspace.CreateClient(Platform.Security.ApiTokens.Generate());
        await AssertProblemAsync(await unknown.GetAsync($"/api/v3/maps/public/{id}", Cancel), HttpStatusCode.Unauthorized);
        using var anonymous = environment.WorkspaceClient(null);
        await AssertProblemAsync(await anonymous.GetAsync($"/api/v3/maps/public/{Guid.NewGuid()}", Cancel), HttpStatusCode.NotFound);
    }

    private async Task<long> CountMapsAsync(Person person) =>
        (await environment.MetadataScalarAsync<long>($"SELECT count(*) FROM maps WHERE owner_id = '{person.Id}'"));

    /// <summary>A map's body, valid unless a part given says otherwise: one table dataset (<c>d</c>) and one layer over it.</summary>
    internal static string Body(string? kepler = null, string? layer = null, string? interaction = null, string? dataset = null)
    {
        dataset ??= """{"id": "d", "type": "table", "source": "cities", "connectionName": "carto_dw"}""";
        layer ??= """{"id": "l", "type": "mvt", "config": {"dataId": "d", "visConfig": {}}, "visualChannels": {}}""";
        var interactionMember = interaction is null ? "" : $"\"interactionConfig\": {interaction}, ";
        kepler ??= """{"version": "v1", "config": {"visState": {""" + interactionMember + "\"layers\": [" + layer + "]}}}";
        return $$"""{"title": "bad", "datasets": [{{dataset}}], "keplerMapConfig": {{kepler}}}""";
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(Cancel);
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {text}");
            return JsonDocument.Parse(text).RootElement;
        }
    }

    private static Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status) =>
        AccountsInstallation.AssertProblemAsync(response, status);
}
