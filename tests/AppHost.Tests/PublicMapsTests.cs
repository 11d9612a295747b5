using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>
/// A map saved in the workspace and made public opens with CARTO's own fetchMap, in Node, through the router against the
/// whole platform, without a token: its layers, their TileJSON, tiles and stats, all with the map's own token — which reads
/// nothing else.
/// </summary>
public sealed class PublicMapsTests(RunningPlatform running) : IClassFixture<RunningPlatform>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private PlatformInProcess Platform => running.Platform;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APublishedMapOpensWithCartosFetchMapWithoutATokenAndItsTokenReadsNothingElse()
    {
        await Platform.WaitHealthyAsync(Patience);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (cities, capitals, other) = ($"cities_{suffix}", $"capitals_{suffix}", $"other_{suffix}");
        await Platform.WarehouseAsync($"""
            CREATE TABLE org_default.{cities} (name text, population int, geom geometry(Point, 4326));
            ALTER TABLE org_default.{cities} OWNER TO org_default;
            INSERT INTO org_default.{cities} VALUES ('Lisbon', 545000, 'SRID=4326;POINT(-9.14 38.72)'),
                ('Porto', 232000, 'SRID=4326;POINT(-8.61 41.15)'), ('Madrid', 3300000, 'SRID=4326;POINT(-3.7 40.42)');
            CREATE TABLE org_default.{capitals} (name text, population int, geom geometry(Point, 4326));
            ALTER TABLE org_default.{capitals} OWNER TO org_default;
            INSERT INTO org_default.{capitals} VALUES ('Lisbon', 545000, 'SRID=4326;POINT(-9.14 38.72)'), ('Madrid', 3300000, 'SRID=4326;POINT(-3.7 40.42)');
            CREATE TABLE org_default.{other} (secret text, geom geometry(Point, 4326));
            ALTER TABLE org_default.{other} OWNER TO org_default;
            INSERT INTO org_default.{other} VALUES ('not on the map', 'SRID=4326;POINT(0 0)');
            """);
        // Maps are a user's: the installation's first sign-up makes the development token its admin's.
        using (var signUp = await Platform.Http.PostAsJsonAsync(new Uri(Platform.Router, "/api/v3/accounts/signup"),
            new { email = "admin@example.com", password = "correct horse battery staple" }, Cancellation))
        {
            Assert.True(signUp.StatusCode is HttpStatusCode.Created or HttpStatusCode.Forbidden, await signUp.Content.ReadAsStringAsync(Cancellation));
        }

        using var save = new HttpRequestMessage(HttpMethod.Post, new Uri(Platform.Router, "/api/v3/maps"))
        {
            Content = JsonContent.Create(SavedMaps.TwoLayers(cities, $"SELECT * FROM {capitals} WHERE population > 500000", "public", "Iberia")),
        };
        save.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);
        using var saved = await Platform.Http.SendAsync(save, Cancellation);
        Assert.True(saved.StatusCode == HttpStatusCode.Created, await saved.Content.ReadAsStringAsync(Cancellation));
        var id = (await saved.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("id").GetString()!;

        var seen = await CartoClient.RunAsync(Platform, "fetchmap.mjs", token: null, ("CARTO_MAP_ID", id), ("CARTO_OTHER_TABLE", other));

        Assert.Equal("Iberia", seen.GetProperty("title").GetString());
        Assert.True(seen.GetProperty("tokenGiven").GetBoolean());
        // fetchMap lists the layers in reverse: the query's first.
        var layers = seen.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(["big", "points"], layers.Select(layer => layer.GetProperty("id").GetString()));
        foreach (var (layer, kind, features) in new[] { (layers[0], "query", 2), (layers[1], "table", 3) })
        {
            Assert.Equal("3.0.0", layer.GetProperty("tilejson").GetString());
            Assert.StartsWith($"{Platform.Router}api/v3/maps/carto_dw/{kind}/", layer.GetProperty("tiles")[0].GetString());
            Assert.Equal(features, layer.GetProperty("z0").GetInt32());
        }
        // The table's layer is coloured by population: its scale's domain comes from the Stats API.
        Assert.NotEqual(JsonValueKind.Null, layers[1].GetProperty("fillColorDomain").ValueKind);
        var requests = seen.GetProperty("requests").EnumerateArray()
            .Select(request => (Path: request.GetProperty("path").GetString()!, Authorized: request.GetProperty("authorized").GetBoolean())).ToArray();
        Assert.Equal(($"/api/v3/maps/public/{id}", false), requests[0]);
        Assert.Contains(($"/api/v3/stats/carto_dw/{cities}/{SavedMaps.ColorField}", true), requests);
        Assert.All(requests.Skip(1), request => Assert.True(request.Authorized, request.Path));

        var refused = seen.GetProperty("otherTable");
        Assert.Equal("CartoAPIError", refused.GetProperty("name").GetString());
        Assert.Contains("Unauthorized access (403)", refused.GetProperty("message").GetString());
    }
}
