using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using CartoSelfHosted.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>
/// Map pages as CARTO's users write them — deck.gl 9.4's <c>VectorTileLayer</c> over <c>@carto/api-client</c>'s
/// <c>vectorTableSource</c>, and its <c>QuadbinTileLayer</c>, <c>ClusterTileLayer</c> and <c>HeatmapTileLayer</c> over a
/// <c>quadbinTableSource</c> that bins the same points
/// (tests/AppHost.Tests/DeckGlPage), bundled here and served from a loopback origin — drawing a table imported through
/// the platform, in headless chromium with nothing but loopback reachable.
/// </summary>
public sealed class DeckGlPageTests(RunningPlatform running) : IClassFixture<RunningPlatform>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static readonly string PageFolder = Path.Combine(Repository.Root(), "tests", "AppHost.Tests", "DeckGlPage");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private PlatformInProcess Platform => running.Platform;

    [Fact]
    public async Task AVectorTileLayerOverAVectorTableSourceDrawsTheImportedCitiesWithoutATileError()
    {
        var table = await ImportCitiesAsync();
        var drawing = await DrawAsync("drawTable", table, "deckgl-cities.png");

        // The viewport (zoom 1, the world) loaded its tiles, each an MVT from the router, and they held cities.
        var tileCount = drawing.Drawn.GetProperty("tiles").GetInt32();
        Assert.InRange(tileCount, 2, 8);
        Assert.True(drawing.Tiles.Count >= tileCount, $"{drawing.Tiles.Count} tile answers for {tileCount} tiles");
        Assert.All(drawing.Tiles, tile => Assert.Equal("application/vnd.mapbox-vector-tile", tile.Headers["content-type"]));
        Assert.True(drawing.Drawn.GetProperty("points").GetInt32() > 1000, $"{drawing.Drawn.GetProperty("points")} points in the viewport's tiles");
        AssertDrawnOverEuropeAndNotOverTheOcean(drawing.Drawn);
    }

    [Theory]
    // Cells as squares; clusters as dots (of 6 px) at the weighted centre of the cells five levels up, one for Europe, so
    // looked for further around Paris and covering less of the canvas; a heatmap of the cells' counts.
    [InlineData("quadbin", 20, 0.01)]
    [InlineData("clusters", 80, 0.003)]
    [InlineData("heatmap", 20, 0.01)]
    public async Task ASpatialIndexLayerOverADynamicQuadbinSourceDrawsTheSamePointsFromItsCells(string layer, int probeHalfSize,
        double shareOfCanvas)
    {
        var table = await ImportCitiesAsync();
        var drawing = await DrawAsync("drawCells", table, $"deckgl-cities-{layer}.png", layer, probeHalfSize);

        // The viewport's tiles are quadbin cells (deck.gl asks for them by {i}), each a CARTO spatial tile of cells whose
        // counts add up to the cities: at zoom 1, the world's, every one of the 135k, once.
        var tileCount = drawing.Drawn.GetProperty("tiles").GetInt32();
        Assert.InRange(tileCount, 2, 8);
        Assert.True(drawing.Tiles.Count >= tileCount, $"{drawing.Tiles.Count} tile answers for {tileCount} tiles");
        Assert.All(drawing.Tiles, tile => Assert.Equal("application/vnd.carto-spatial-tile", tile.Headers["content-type"]));
        Assert.True(drawing.Drawn.GetProperty("cells").GetInt32() > 1000, $"{drawing.Drawn.GetProperty("cells")} cells in the viewport's tiles");
        Assert.True(drawing.Drawn.GetProperty("points").GetInt32() > 100_000, $"{drawing.Drawn.GetProperty("points")} cities counted by the cells");
        AssertDrawnOverEuropeAndNotOverTheOcean(drawing.Drawn, shareOfCanvas);
    }

    /// <summary>What one page drew, and the tile answers it got.</summary>
    private sealed record Drawing(JsonElement Drawn, IReadOnlyCollection<IResponse> Tiles);

    /// <summary>The cities (135k points), imported through the platform into a table of their own.</summary>
    private async Task<string> ImportCitiesAsync()
    {
        await Platform.WaitHealthyAsync(Patience);
        var file = Path.Combine(Platform.DataDirectory, "cities.geojson");
        await PlatformImports.WriteCitiesAsync(file, Cancellation);
        var table = "cities_" + Guid.NewGuid().ToString("N")[..8];
        var job = await Platform.ImportAsync(file, "cities.geojson", table, Patience, Cancellation);
        Assert.True(PlatformImports.JobStatus(job) == "success", job.ToString());
        return table;
    }

    /// <summary>
    /// Opens the page from a loopback origin of its own, has it draw <paramref name="table"/> with
    /// <c>window.<paramref name="function"/></c>, keeps a screenshot, and asserts nothing failed on the way: no request
    /// off loopback, no error answer, no console or page error, no tile error.
    /// </summary>
    private async Task<Drawing> DrawAsync(string function, string table, string screenshotName, string? layer = null, int probeHalfSize = 20)
    {
        var bundle = await BundleAsync(Path.Combine(Platform.DataDirectory, "deckgl-page.js"));
        await using var site = await LoopbackSite.StartAsync(app =>
        {
            app.MapGet("/", () => Results.File(Path.Combine(PageFolder, "index.html"), "text/html"));
            app.MapGet("/page.js", () => Results.File(bundle, "text/javascript"));
        });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var tab = await browser.NewPageAsync();

        // Air-gapped: a request to anywhere but loopback (a CDN the page or loaders.gl reached for) fails, and is named.
        var offLoopback = new ConcurrentQueue<string>();
        await tab.RouteAsync(url => !new Uri(url).IsLoopback, route =>
        {
            offLoopback.Enqueue(route.Request.Url);
            return route.AbortAsync();
        });
        var failures = new ConcurrentQueue<string>();
        var tiles = new ConcurrentQueue<IResponse>();
        tab.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                failures.Enqueue($"{response.Status} {response.Url}");
            }
            // Tiles are what the source's TileJSON templates: its URL and a query string, a path the API names by cell or z/x/y.
            if (response.Request.Method == "GET" && response.Url.Contains("?cache=", StringComparison.Ordinal) &&
                !response.Url.Contains("/tilejson?", StringComparison.Ordinal))
            {
                tiles.Enqueue(response);
            }
        };
        tab.RequestFailed += (_, request) => failures.Enqueue($"{request.Failure} {request.Url}");
        tab.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                failures.Enqueue($"console: {message.Text}");
            }
        };
        tab.PageError += (_, error) => failures.Enqueue($"page: {error}");

        await tab.GotoAsync(site.Origin);
        var drawn = await tab.EvaluateAsync<JsonElement>($"options => window.{function}(options)", new
        {
            layer,
            apiBaseUrl = new Uri(Platform.Router, "/api").ToString(),
            accessToken = Platform.DevToken,
            tableName = table,
            probeHalfSize,
            probes = new Dictionary<string, double[]>
            {
                ["paris"] = [2.35, 48.85],
                ["southPacific"] = [-130, -40],
            },
        }).WaitAsync(Patience, Cancellation);
        var screenshot = Path.Combine(AppContext.BaseDirectory, screenshotName);
        await tab.Locator("#map").ScreenshotAsync(new LocatorScreenshotOptions { Path = screenshot });
        TestContext.Current.TestOutputHelper?.WriteLine($"{drawn} (screenshot: {screenshot})");

        Assert.Empty(offLoopback);
        Assert.Empty(failures);
        Assert.Empty(drawn.GetProperty("errors").EnumerateArray());
        return new Drawing(drawn, tiles);
    }

    /// <summary>The layer drew over Europe's cities, nothing over the empty ocean, and a fair share of the canvas.</summary>
    private static void AssertDrawnOverEuropeAndNotOverTheOcean(JsonElement drawn, double shareOfCanvas = 0.01)
    {
        var around = drawn.GetProperty("around");
        Assert.True(around.GetProperty("paris").GetInt32() > 100, $"{around.GetProperty("paris")} pixels of cities around Paris");
        Assert.Equal(0, around.GetProperty("southPacific").GetInt32());
        Assert.True(drawn.GetProperty("filledPixels").GetInt32() > drawn.GetProperty("pixels").GetInt32() * shareOfCanvas,
            $"{drawn.GetProperty("filledPixels")} of {drawn.GetProperty("pixels")} pixels drawn");
    }

    /// <summary>The page's script with deck.gl and CARTO's client in one file (esbuild, from the folder's node_modules).</summary>
    private static async Task<string> BundleAsync(string output)
    {
        var start = new ProcessStartInfo(Path.Combine(PageFolder, "node_modules", ".bin", "esbuild"),
            ["page.js", "--bundle", "--format=iife", "--log-level=warning", $"--outfile={output}"])
        {
            WorkingDirectory = PageFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(Cancellation);
        await process.StandardOutput.ReadToEndAsync(Cancellation);
        await process.WaitForExitAsync(Cancellation);
        Assert.True(process.ExitCode == 0, $"esbuild failed: {await errors}");
        return output;
    }
}
