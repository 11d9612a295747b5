using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Maps;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.Integration.Tests.Workspace;

/// <summary>
/// Search over an organization's datasets, saved maps and connections: ranking, prefixes, identifiers, accents, and the
/// visibility of each kind exactly as their own APIs decide it. Every test looks for words of its own (<see cref="Tag"/>),
/// so what the others made does not count.
/// </summary>
public sealed class SearchApiTests(ConnectionsEnvironment environment) : IClassFixture<ConnectionsEnvironment>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ANamesWordsRankAboveADescriptionsAboveAColumnNames()
    {
        var (tag, other) = (Tag(), Tag());
        await CreateWarehouseTablesAsync($"""
            CREATE TABLE {other}_by_column ({tag}_id int, name text);
            CREATE TABLE {other}_by_description (name text); COMMENT ON TABLE {other}_by_description IS 'Where the {tag} survey went';
            CREATE TABLE {tag}_by_name (name text);
            """, $"{other}_by_column", $"{other}_by_description", $"{tag}_by_name");
        using var admin = environment.Workspace.CreateClient(environment.AdminA);

        var hits = await SearchAsync(admin, tag);

        Assert.Equal([$"{tag}_by_name", $"{other}_by_description", $"{other}_by_column"], hits.Select(Title));
        var ranks = hits.Select(hit => hit.GetProperty("rank").GetDouble()).ToList();
        Assert.True(ranks[0] > ranks[1] && ranks[1] > ranks[2], string.Join(", ", ranks));
        var described = hits[1];
        Assert.Equal(("dataset", "carto_dw", environment.Databases.A.Schema, $"Where the {tag} survey went"),
            (described.GetProperty("type").GetString(), described.GetProperty("connection").GetString(),
             described.GetProperty("schema").GetString(), described.GetProperty("description").GetString()));
        // The hit's url is the catalog's entry for the table.
        var table = await admin.GetFromJsonAsync<JsonElement>(described.GetProperty("url").GetString(), Cancellation);
        Assert.Equal($"{other}_by_description", table.GetProperty("name").GetString());
    }

    [Fact]
    public async Task TheLastWordIsAPrefixAndIdentifiersAreSplitIntoTheirWords()
    {
        var tag = Tag();
        await CreateWarehouseTablesAsync($"CREATE TABLE {tag}_road_segments (surface_type text)", $"{tag}_road_segments");
        using var admin = environment.Workspace.CreateClient(environment.AdminA);
        var connection = $"{tag}_RoadWorks";
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v3/connections",
            environment.External.ConnectionBody(connection, privacy: "shared"), Cancellation)).StatusCode);

        foreach (var q in new[] { $"{tag} roa", $"{tag} road_segments", $"{tag} SEGM", $"road {tag}", $"{tag} surf" })
        {
            Assert.Equal([$"{tag}_road_segments"], (await SearchAsync(admin, q, "dataset")).Select(Title));
        }
        // Only the last word is a prefix, and a prefix starts a word.
        Assert.Empty(await SearchAsync(admin, $"ro {tag}", "dataset"));
        Assert.Empty(await SearchAsync(admin, $"{tag} oad", "dataset"));
        // camelCase is split too, and the name as written kept.
        foreach (var q in new[] { $"{tag} works", $"{tag} roadwo" })
        {
            var hit = Assert.Single(await SearchAsync(admin, q, "connection"));
            Assert.Equal((connection, connection), (Title(hit), hit.GetProperty("name").GetString()));
            var listed = await admin.GetFromJsonAsync<JsonElement>(hit.GetProperty("url").GetString(), Cancellation);
            Assert.Equal(connection, listed.GetProperty("name").GetString());
        }
    }

    [Fact]
    public async Task CaseAndAccentsDoNotMatterAndOperatorsAreJustSeparators()
    {
        var tag = Tag();
        var map = await SaveMapAsync(environment.EditorA, $"Estações de São Tomé {tag.ToUpperInvariant()}", "organization");
        using var viewer = environment.Workspace.CreateClient(environment.ViewerA);

        foreach (var q in new[] { $"sao tome {tag}", $"SÃO TOMÉ {tag}", $"estacoes {tag}", $"{tag} são & !tomé | (", $"'{tag}':* <-> esta" })
        {
            var hit = Assert.Single(await SearchAsync(viewer, q));
            Assert.Equal(("map", map, $"/api/v3/maps/{map}"), (hit.GetProperty("type").GetString(), hit.GetProperty("id").GetString(),
                hit.GetProperty("url").GetString()));
        }
        Assert.Empty(await SearchAsync(viewer, $"{tag} x"));
    }

    [Fact]
    public async Task MapsAreFoundByThoseWhoMayReadThemInTheirOrganizationOnly()
    {
        var tag = Tag();
        var maps = new Dictionary<string, string>();
        foreach (var privacy in new[] { "private", "organization", "public" })
        {
            maps[privacy] = await SaveMapAsync(environment.EditorA, $"{tag} {privacy}", privacy, description: "Roads of the region");
        }

        async Task<List<string>> FoundAsync(string token)
        {
            using var client = environment.Workspace.CreateClient(token);
            return (await SearchAsync(client, tag, "map")).Select(hit => maps.Single(map => map.Value == hit.GetProperty("id").GetString()).Key)
                .Order().ToList();
        }

        Assert.Equal(["organization", "private", "public"], await FoundAsync(environment.EditorA));
        Assert.Equal(["organization", "private", "public"], await FoundAsync(environment.AdminA));
        Assert.Equal(["organization", "public"], await FoundAsync(environment.ViewerA));
        // Another organization's public map opens by its link, but it is not that organization's to find.
        Assert.Empty(await FoundAsync(environment.AdminB));
    }

    [Fact]
    public async Task APrivateConnectionAndItsDatasetsAreFoundByItsOwnerOnlyASharedOnesByTheOrganization()
    {
        var tag = Tag();
        using var admin = environment.Workspace.CreateClient(environment.AdminA);
        var (privateName, sharedName) = ($"{tag}_private", $"{tag}_shared");
        foreach (var (name, privacy) in new[] { (privateName, "private"), (sharedName, "shared") })
        {
            Assert.Equal(HttpStatusCode.Created,
                (await admin.PostAsJsonAsync("/api/v3/connections", environment.External.ConnectionBody(name, privacy: privacy), Cancellation)).StatusCode);
            // The first listing reads the connection's catalog whole.
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v3/connections/{name}/resources", Cancellation)).StatusCode);
        }

        async Task<List<string>> FoundAsync(string token, string q, string types)
        {
            using var client = environment.Workspace.CreateClient(token);
            return (await SearchAsync(client, q, types, pageSize: 100))
                .Select(hit => $"{hit.GetProperty("connection").GetString()}:{hit.GetProperty("schema").GetString()}.{Title(hit)}")
                .Where(found => found.StartsWith(tag, StringComparison.Ordinal)).Order().ToList();
        }

        // parks and rivers, as the login may read them (not payroll), by their names and their columns' (area_ha).
        Assert.Equal([$"{privateName}:gis.parks", $"{sharedName}:gis.parks"], await FoundAsync(environment.AdminA, "parks", "dataset"));
        Assert.Equal([$"{privateName}:gis.parks", $"{sharedName}:gis.parks"], await FoundAsync(environment.AdminA, "area", "dataset"));
        Assert.Equal([$"{privateName}:public.rivers", $"{sharedName}:public.rivers"], await FoundAsync(environment.AdminA, "rivers", "dataset"));
        Assert.Empty(await FoundAsync(environment.AdminA, "payroll salary", "dataset"));
        Assert.Equal([$"{privateName}:.{privateName}", $"{sharedName}:.{sharedName}"], await FoundAsync(environment.AdminA, tag, "connection"));
        // Another user of the organization, even an editor, uses the shared connection only.
        Assert.Equal([$"{sharedName}:gis.parks"], await FoundAsync(environment.EditorA, "parks", "dataset"));
        Assert.Equal([$"{sharedName}:.{sharedName}"], await FoundAsync(environment.ViewerA, tag, "dataset,connection"));
        // Another organization finds neither.
        Assert.Empty(await FoundAsync(environment.AdminB, "parks", "dataset"));
        Assert.Empty(await FoundAsync(environment.AdminB, tag, "dataset,map,connection"));
    }

    [Fact]
    public async Task AnotherOrganizationsWarehouseTablesAreNotFound()
    {
        var tag = Tag();
        await CreateWarehouseTablesAsync($"CREATE TABLE {tag}_sites (name text)", $"{tag}_sites");
        using var admin = environment.Workspace.CreateClient(environment.AdminA);
        using var stranger = environment.Workspace.CreateClient(environment.AdminB);
        Assert.Single(await SearchAsync(admin, tag));
        Assert.Empty(await SearchAsync(stranger, tag));
    }

    [Fact]
    public async Task PagesAreCutAfterRankingAndCounted()
    {
        var tag = Tag();
        foreach (var title in new[] { "one", "two", "three" })
        {
            await SaveMapAsync(environment.EditorA, $"{tag} {title}", "organization");
        }
        using var editor = environment.Workspace.CreateClient(environment.EditorA);

        var titles = new List<string>();
        foreach (var page in new[] { 1, 2, 3, 4 })
        {
            var answer = await editor.GetFromJsonAsync<JsonElement>($"/api/v3/search?q={tag}&page={page}&page_size=1", Cancellation);
            Assert.Equal((page, 1, 3), (answer.GetProperty("page").GetInt32(), answer.GetProperty("page_size").GetInt32(),
                answer.GetProperty("total").GetInt32()));
            titles.AddRange(answer.GetProperty("items").EnumerateArray().Select(Title));
        }
        // Equal ranks go by title.
        Assert.Equal([$"{tag} one", $"{tag} three", $"{tag} two"], titles);
    }

    [Theory]
    [InlineData("", "q")]
    [InlineData("q=", "q")]
    [InlineData("q=%20%20", "q")]
    [InlineData("q=*%26!", "word")]
    [InlineData("q=a&types=dataset,tables", "types")]
    [InlineData("q=a&types=", "types")]
    [InlineData("q=a&page=0", "page")]
    [InlineData("q=a&page_size=0", "page_size")]
    [InlineData("q=a&page_size=101", "page_size")]
    [InlineData("q=a&page_size=many", "")]
    public async Task BadInputIsAProblem(string query, string named)
    {
        using var admin = environment.Workspace.CreateClient(environment.AdminA);
        await MapsApiTests.AssertProblemAsync(await admin.GetAsync($"/api/v3/search?{query}", Cancellation), 400, named);
    }

    [Fact]
    public async Task TooLongATextOrTooManyWordsIsAProblem()
    {
        using var admin = environment.Workspace.CreateClient(environment.AdminA);
        await MapsApiTests.AssertProblemAsync(await admin.GetAsync($"/api/v3/search?q={new string('a', 201)}", Cancellation), 400, "200");
        await MapsApiTests.AssertProblemAsync(
            await admin.GetAsync($"/api/v3/search?q={string.Join('+', Enumerable.Repeat("a", 17))}", Cancellation), 400, "16 words");
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v3/search?q={new string('a', 200)}", Cancellation)).StatusCode);
    }

    /// <summary>A word no other test uses: letters only, so that it stays one word.</summary>
    private static string Tag() => "t" + string.Concat(Guid.NewGuid().ToString("N")[..10].Select(c => (char)('a' + Convert.ToInt32(c.ToString(), 16))));

    private static string Title(JsonElement hit) => hit.GetProperty("title").GetString()!;

    private static async Task<List<JsonElement>> SearchAsync(HttpClient client, string q, string? types = null, int pageSize = 20)
    {
        var answer = await client.GetFromJsonAsync<JsonElement>(
            $"/api/v3/search?q={Uri.EscapeDataString(q)}&page_size={pageSize}" + (types is null ? "" : $"&types={types}"), Cancellation);
        return answer.GetProperty("items").EnumerateArray().ToList();
    }

    /// <summary>Makes the tables in organization A's warehouse schema and waits until its catalog, read again, has them.</summary>
    private async Task CreateWarehouseTablesAsync(string sql, params string[] tables)
    {
        await environment.Databases.AsOrganizationAsync(environment.Databases.A, sql);
        using var admin = environment.Workspace.CreateClient(environment.AdminA);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/api/v3/connections/carto_dw/resources/refresh", null, Cancellation)).StatusCode);
        var listing = $"/api/v3/connections/carto_dw/resources/{environment.Databases.A.Schema}?page_size=1000";
        await Eventually.WaitUntilAsync(async () =>
        {
            var names = (await admin.GetFromJsonAsync<JsonElement>(listing, Cancellation)).GetProperty("items").EnumerateArray()
                .Select(item => item.GetProperty("name").GetString()).ToHashSet();
            return tables.All(names.Contains);
        }, Patience, string.Join(", ", tables) + " in the catalog", Cancellation);
    }

    private async Task<string> SaveMapAsync(string token, string title, string privacy, string? description = null)
    {
        using var client = environment.Workspace.CreateClient(token);
        using var created = await client.PostAsJsonAsync("/api/v3/maps", new { title, description, privacy }, Cancellation);
        var text = await created.Content.ReadAsStringAsync(Cancellation);
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }
}
