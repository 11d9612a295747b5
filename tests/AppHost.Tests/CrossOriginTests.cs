using System.Globalization;
using System.Net;
using System.Text.Json;
using CartoSelfHosted.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>
/// A web app on another origin than the router's, as CARTO's users build them, calling the platform from a real
/// browser (Debian's chromium, headless): every call with a bearer token and JSON is preflighted.
/// </summary>
public sealed class CrossOriginTests(RunningPlatform running) : IClassFixture<RunningPlatform>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private PlatformInProcess Platform => running.Platform;

    /// <summary>What the page runs: the calls CARTO's client makes, then one without a token; each answer's status.</summary>
    private const string CallsFromThePage = """
        async ([router, token]) => {
          const bearer = { Authorization: `Bearer ${token}` };
          const json = { ...bearer, 'Content-Type': 'application/json' };
          const results = {};
          const map = await fetch(`${router}/api/v3/maps/carto_dw/query`, { method: 'POST', headers: json,
            body: JSON.stringify({ q: 'SELECT ST_SetSRID(ST_MakePoint(2.35, 48.85), 4326) AS geom, 1 AS n' }) });
          results.map = map.status;
          const tilejsonUrl = (await map.json()).tilejson.url[0];
          const tilejson = await fetch(tilejsonUrl, { headers: bearer });
          results.tilejson = tilejson.status;
          const tile = await fetch((await tilejson.json()).tiles[0].replace('{z}', '0').replace('{x}', '0').replace('{y}', '0'),
            { headers: bearer });
          results.tile = tile.status;
          results.tileBytes = (await tile.arrayBuffer()).byteLength;
          const sql = await fetch(`${router}/api/v3/sql/carto_dw/query`, { method: 'POST', headers: json,
            body: JSON.stringify({ q: 'SELECT 41 + 1 AS answer' }) });
          results.sql = sql.status;
          results.answer = (await sql.json()).rows[0].answer;
          const imports = await fetch(`${router}/api/v3/imports`, { headers: bearer });
          results.imports = imports.status;
          results.requestId = imports.headers.get('X-Request-Id');
          const anonymous = await fetch(`${router}/api/v3/imports`);
          results.anonymous = anonymous.status;
          results.anonymousError = (await anonymous.json()).error;
          document.body.textContent = JSON.stringify(results, null, 2);
          return results;
        }
        """;

    [Fact]
    public async Task APageOnAnotherOriginCallsMapsSqlAndImportsWithABearerToken()
    {
        await Platform.WaitHealthyAsync(Patience);
        await using var page = await LoopbackSite.StartAsync(site =>
            site.MapGet("/", () => Results.Content("<!doctype html><title>another origin</title><body>calling…</body>", "text/html")));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var tab = await browser.NewPageAsync();
        await tab.GotoAsync(page.Origin);
        Assert.NotEqual(new Uri(page.Origin).Authority, Platform.Router.Authority);

        var results = await tab.EvaluateAsync<JsonElement>(CallsFromThePage,
            new object[] { Platform.Router.ToString().TrimEnd('/'), Platform.DevToken });
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "cross-origin-page.png") });

        Assert.Equal(200, results.GetProperty("map").GetInt32());
        Assert.Equal(200, results.GetProperty("tilejson").GetInt32());
        Assert.Equal(200, results.GetProperty("tile").GetInt32());
        Assert.True(results.GetProperty("tileBytes").GetInt32() > 0);
        Assert.Equal(200, results.GetProperty("sql").GetInt32());
        Assert.Equal(42, results.GetProperty("answer").GetInt32());
        Assert.Equal(200, results.GetProperty("imports").GetInt32());
        // Exposed to the page, so a failing call can be quoted to support.
        Assert.Matches("^[0-9a-f]{32}$", results.GetProperty("requestId").GetString());
        // Without a token the browser still reads the answer: a 401 problem with CARTO's error member.
        Assert.Equal(401, results.GetProperty("anonymous").GetInt32());
        Assert.Contains("access token", results.GetProperty("anonymousError").GetString());

        // The browser asked first, without a token, and the router said yes (its access log holds the preflights).
        await Eventually.WaitUntilAsync(() => Task.FromResult(PreflightsAnswered("/api/v3/sql/carto_dw/query") > 0), TimeSpan.FromSeconds(10),
            "the router's access log to show the preflight", TestContext.Current.CancellationToken);
        Assert.True(PreflightsAnswered("/api/v3/maps/carto_dw/query") > 0);
    }

    [Fact]
    public async Task APreflightIsAnsweredByTheRouterWithoutATokenAndCachedByTheBrowser()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, new Uri(Platform.Router, "/api/v3/imports"));
        preflight.Headers.Add("Origin", "http://localhost:5173");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,cache-control,if-modified-since");

        using var response = await Platform.Http.SendAsync(preflight, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.True(int.Parse(response.Headers.GetValues("Access-Control-Max-Age").Single(), CultureInfo.InvariantCulture) >= 600);
    }

    private int PreflightsAnswered(string path) =>
        Platform.RouterAccessLog().Split('\n').Count(line => line.Contains($" OPTIONS {path} 204 ", StringComparison.Ordinal));
}
