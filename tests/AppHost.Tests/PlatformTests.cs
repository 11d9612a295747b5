using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using CartoSelfHosted.TestSupport;
using Microsoft.Playwright;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>The running platform, tried as a new user would: through the router, with and without the dev token.</summary>
public sealed class PlatformTests(RunningPlatform running) : IClassFixture<RunningPlatform>
{
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(60);
    private PlatformInProcess Platform => running.Platform;

    [Fact]
    public async Task TheRouterAnswersHealthListingEveryServiceHealthyAndAspireShowsEveryResourceRunning()
    {
        await Platform.WaitHealthyAsync(RecoveryTimeout);
        TestContext.Current.SendDiagnosticMessage($"cold start to healthy: {running.ColdStart.TotalSeconds:F1} s");

        var report = await Platform.Http.GetFromJsonAsync<JsonElement>(new Uri(Platform.Router, "/api/v3/health"),
            TestContext.Current.CancellationToken);
        Assert.Equal("Healthy", report.GetProperty("status").GetString());
        Assert.Equal(PlatformUnderTest.Services,
            report.GetProperty("services").EnumerateArray().Select(service => service.GetProperty("name").GetString()).Order());

        var resources = Platform.Resources().Where(resource => resource.Name != "aspire-dashboard").ToList();
        Assert.Equal(
            ["accounts-api", "cdn-invalidator", "dev-token", "http-cache", "import-api", "import-worker", "lds-api", "maps-api", "metadata",
             "object-storage", "postgres", "postgres-password", "pubsub", "redis", "router-http", "sql-worker", "warehouse", "workspace-api",
             "workspace-subscriber"],
            resources.Select(resource => resource.Name).Order());
        // Every process resource runs and turns healthy on Aspire's own checks.
        foreach (var resource in resources.Where(resource => resource.Pid is not null))
        {
            await Platform.WaitForResourceAsync(resource.Name, state => state is { State: "Running", Health: "Healthy" }, RecoveryTimeout);
            Assert.True(ProcessSignals.IsAlive(resource.Pid!.Value), $"{resource.Name}'s process is alive");
        }
        Assert.All(PlatformUnderTest.Services, service => Assert.NotNull(Platform.Resource(service).Pid));

        // The Aspire dashboard serves its pages.
        using var page = await Platform.Http.GetAsync(Platform.DashboardLogin, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Aspire", await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        // And every resource's console output is kept in the data folder too.
        Assert.Contains("Now listening on", Platform.LogOf("maps-api"));
    }

    [Theory]
    [InlineData("/api/v3/anything")]
    [InlineData("/api/v3/maps/carto_dw/table?name=cities")]
    [InlineData("/api/v3/sql/carto_dw/query?q=select%201")]
    [InlineData("/api/v3/imports")]
    [InlineData("/api/v3/lds/geocoding")]
    [InlineData("/api/v3/accounts/me")]
    [InlineData("/api/v3/tokens")]
    [InlineData("/api/v3/connections")]
    public async Task WithoutATokenEveryApiAnswers401ProblemDetails(string path)
    {
        using var response = await Platform.Http.GetAsync(new Uri(Platform.Router, path), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("/api/v3/accounts/me", HttpStatusCode.OK)]
    [InlineData("/api/v3/tokens", HttpStatusCode.OK)]
    [InlineData("/api/v3/imports", HttpStatusCode.OK)]
    [InlineData("/api/v3/connections", HttpStatusCode.OK)]
    [InlineData("/api/v3/maps/carto_dw/table?name=cities", HttpStatusCode.NotFound)]
    [InlineData("/api/v3/lds/geocoding", HttpStatusCode.NotFound)]
    public async Task WithTheDevTokenEachServiceAnswers(string path, HttpStatusCode expected)
    {
        await Platform.WaitHealthyAsync(RecoveryTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Platform.Router, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);

        using var response = await Platform.Http.SendAsync(request, TestContext.Current.CancellationToken);

        // 404 is the service's own answer for a capability that comes in a later issue: authenticated, then not found.
        Assert.Equal(expected, response.StatusCode);
        Assert.StartsWith("application/", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task TheRouterSetsAndKeepsRequestIdsAndCompresses()
    {
        await Platform.WaitHealthyAsync(RecoveryTimeout);
        using var generated = await Platform.Http.GetAsync(new Uri(Platform.Router, "/api/v3/health"), TestContext.Current.CancellationToken);
        Assert.Matches("^[0-9a-f]{32}$", generated.Headers.GetValues("X-Request-Id").Single());

        using var kept = new HttpRequestMessage(HttpMethod.Get, new Uri(Platform.Router, "/api/v3/tokens"));
        kept.Headers.Add("X-Request-Id", "caller-chosen-id");
        using var keptResponse = await Platform.Http.SendAsync(kept, TestContext.Current.CancellationToken);
        Assert.Equal("caller-chosen-id", keptResponse.Headers.GetValues("X-Request-Id").Single());
        // The service saw the same id: it is in its problem details.
        Assert.Contains("caller-chosen-id", await keptResponse.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        foreach (var encoding in new[] { "gzip", "br" })
        {
            using var compressed = new HttpRequestMessage(HttpMethod.Get, new Uri(Platform.Router, "/api/v3/health"));
            compressed.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
            using var response = await Platform.Http.SendAsync(compressed, TestContext.Current.CancellationToken);
            Assert.Equal(encoding, response.Content.Headers.ContentEncoding.Single());
        }
    }

    [Fact]
    public async Task TheRouterLogsEachRequestWithItsIdButNeverItsQueryString()
    {
        var requestId = "access-log-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Platform.Router, "/api/v3/tokens?access_token=secret-in-the-url"));
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await Platform.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        string? line = null;
        await Eventually.WaitUntilAsync(() => Task.FromResult((line = Platform.RouterAccessLog().Split('\n')
            .FirstOrDefault(entry => entry.Contains(requestId, StringComparison.Ordinal))) is not null), RecoveryTimeout,
            "the router's access log line", TestContext.Current.CancellationToken);
        // W3C's extended format: date time c-ip cs-method cs-uri-stem sc-status time-taken cs(X-Request-Id).
        Assert.Matches($@"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d 127\.0\.0\.1 GET /api/v3/tokens 401 [\d.]+ {requestId}", line);
        var log = Platform.RouterAccessLog();
        Assert.DoesNotContain("secret-in-the-url", log);
        // Nor do the orchestrator's health probes fill it.
        Assert.DoesNotContain(" /health ", log);
    }

    [Fact]
    public async Task TheRoutersOwnErrorsAreProblemDetailsWithCartosErrorMember()
    {
        using var missing = await Platform.Http.GetAsync(new Uri(Platform.Router, "/assets/missing.js"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);

        using var tooLarge = await Platform.Http.PostAsync(new Uri(Platform.Router, "/api/v3/accounts/me"), new ByteArrayContent(new byte[11 * 1024 * 1024]),
            TestContext.Current.CancellationToken);
        var problem = await tooLarge.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Contains("larger than this route accepts", problem.GetProperty("error").GetString());
        Assert.Equal(tooLarge.Headers.GetValues("X-Request-Id").Single(), problem.GetProperty("requestId").GetString());
    }

    [Fact]
    public async Task TheCacheServesRepeatsPerTokenAndForgetsThemWhenTheirSurrogateKeyIsPurged()
    {
        await Platform.WaitHealthyAsync(RecoveryTimeout);
        var otherToken = await Platform.CreateTokenAsync("cache-test");
        // A map instantiation of a query no other test makes: the cache keeps it under its connection's surrogate key.
        var instantiation = "/api/v3/maps/carto_dw/query?q=" + Uri.EscapeDataString($"SELECT ST_Point(0, 0)::geometry AS geom, '{Guid.NewGuid():N}' AS run");

        Assert.Equal("MISS", await CacheStatusAsync(instantiation, Platform.DevToken));
        Assert.Equal("HIT", await CacheStatusAsync(instantiation, Platform.DevToken));
        // The token is part of the key: another token's first request is not served from the first one's answer.
        Assert.Equal("MISS", await CacheStatusAsync(instantiation, otherToken));

        var purged = await PurgeAsync("conn:carto_dw");
        Assert.Matches("Purged [1-9]", purged);
        Assert.Equal("MISS", await CacheStatusAsync(instantiation, Platform.DevToken));

        // Answers that say nothing about caching are never cached.
        using var health = await Platform.Http.GetAsync(new Uri(Platform.Router, "/api/v3/health"), TestContext.Current.CancellationToken);
        using var again = await Platform.Http.GetAsync(new Uri(Platform.Router, "/api/v3/health"), TestContext.Current.CancellationToken);
        Assert.NotEqual("HIT", again.Headers.GetValues("X-Cache").Single());
        // Nor is the connections list, which must show a connection the moment it is added.
        Assert.NotEqual("HIT", await CacheStatusAsync("/api/v3/connections", Platform.DevToken));
        Assert.NotEqual("HIT", await CacheStatusAsync("/api/v3/connections", Platform.DevToken));
    }

    [Fact]
    public async Task NobodyPurgesTheCacheThroughTheRouter()
    {
        using var purge = new HttpRequestMessage(new HttpMethod("PURGE"), new Uri(Platform.Router, "/api/v3/connections"));
        purge.Headers.Add("xkey-purge", "connections");

        using var response = await Platform.Http.SendAsync(purge, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ServicesExportTheirTracesToTheDashboardWithTheCallersTraceId()
    {
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Platform.Router, "/api/v3/tokens"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);
        request.Headers.Add("traceparent", $"00-{traceId}-b7ad6b7169203331-01");
        using var response = await Platform.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        List<DashboardSpan> spans = [];
        // Each service exports in its own batches, and a span goes out only when it ends: accounts-api's database spans can
        // arrive a batch before the request's own span, which ends after them. Wait for the router's two spans and that one.
        for (var attempt = 0; attempt < 100 && !(spans.Count(span => span.Service == "router-http") >= 2 && spans.Any(span => span.Name == "GET /api/v3/tokens/"));
             attempt++)
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
            spans = await DashboardTelemetry.TraceAsync(Platform, traceId, TestContext.Current.CancellationToken);
        }

        // The router's span is the caller's child; its call upstream is the parent of accounts-api's span.
        var router = Assert.Single(spans, span => span.Service == "router-http" && span.ParentSpanId == "b7ad6b7169203331");
        var forward = Assert.Single(spans, span => span.Service == "router-http" && span.ParentSpanId == router.SpanId);
        // Named by ASP.NET Core's instrumentation after the route, whose text for a group's own endpoint ends in '/'.
        var server = Assert.Single(spans, span => span.Name == "GET /api/v3/tokens/");
        Assert.Equal("accounts-api", server.Service);
        Assert.Equal(forward.SpanId, server.ParentSpanId);
        // The metadata query the request made is a child span of the same trace.
        Assert.Contains(spans, span => span.ParentSpanId == server.SpanId && span.Attributes.ContainsKey("db.system.name"));
    }

    [Theory]
    [InlineData("accounts", "accounts-api", "/api/v3/accounts/me")]
    [InlineData("imports", "import-api", "/api/v3/imports")]
    [InlineData("lds", "lds-api", "/api/v3/lds/geocoding/geocode")]
    [InlineData("maps", "maps-api", "/api/v3/maps/{connection}/{kind}")]
    [InlineData("workspace", "workspace-api", "/api/v3/connections")]
    public async Task EachServicesOpenApiDocumentIsReadThroughTheRouterWithoutAToken(string name, string title, string documentedPath)
    {
        await Platform.WaitHealthyAsync(RecoveryTimeout);

        var document = await Platform.Http.GetFromJsonAsync<JsonElement>(new Uri(Platform.Router, $"/api/docs/openapi/{name}.json"),
            TestContext.Current.CancellationToken);

        Assert.Equal(title, document.GetProperty("info").GetProperty("title").GetString());
        Assert.True(document.GetProperty("paths").TryGetProperty(documentedPath, out _), $"{title}'s document has {documentedPath}");
    }

    [Fact]
    public async Task TheApiReferenceShowsTheDocumentsAndLoadsNothingFromOffTheMachine()
    {
        await Platform.WaitHealthyAsync(RecoveryTimeout);
        using var page = await Platform.Http.GetAsync(new Uri(Platform.Router, "/api/docs"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

        // In a real browser: everything the page asks for (scripts, documents, fonts, images, telemetry) is the router's.
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var tab = await browser.NewPageAsync();
        var requested = new List<string>();
        tab.Request += (_, request) => requested.Add(request.Url);
        await tab.GotoAsync(new Uri(Platform.Router, "/api/docs").ToString());
        // The first document, accounts-api's, is rendered from what it says of its operations.
        await tab.GetByText("The presented token's account").First.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await tab.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "api-reference.png") });

        Assert.Contains(requested, url => url.EndsWith("/api/docs/openapi/accounts.json", StringComparison.Ordinal));
        Assert.All(requested, url => Assert.True(url.StartsWith("data:", StringComparison.Ordinal) || url.StartsWith("blob:", StringComparison.Ordinal)
            || new Uri(url).Authority == Platform.Router.Authority, $"the page asked for {url}, off the machine"));
    }

    [Theory]
    [InlineData("/", "CartoSelfHosted")]
    [InlineData("/acc/", "accounts")]
    [InlineData("/acc/login", "accounts")]
    public async Task TheWebAppsAreServedAsStaticContent(string path, string expected)
    {
        using var response = await Platform.Http.GetAsync(new Uri(Platform.Router, path), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task LdsApiLoadsItsDataAtTheFirstStartAndGeocodesAndRoutesThroughTheRouter()
    {
        JsonElement answer = default;
        // The gazetteer is loaded in the background after lds-api starts; meanwhile geocoding is a 503.
        await Eventually.WaitUntilAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Platform.Router, "/api/v3/lds/geocoding/geocode?address=zurich,%20ch"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);
            using var response = await Platform.Http.SendAsync(request, TestContext.Current.CancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                return false;
            }
            answer = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            return true;
        }, TimeSpan.FromMinutes(2), "lds-api to load its gazetteer", TestContext.Current.CancellationToken);

        var candidate = answer[0].GetProperty("value")[0];
        Assert.Equal(("Zürich", "CH"), (candidate.GetProperty("name").GetString(), candidate.GetProperty("country_code").GetString()));

        // The road network loads beside it; a route through Kestrel and the router carries its attribution header (ASCII, as
        // Kestrel requires of a header).
        await Eventually.WaitUntilAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Platform.Router, "/api/v3/lds/routing?origin=11.94,57.68&destination=11.99,57.72"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);
            using var response = await Platform.Http.SendAsync(request, TestContext.Current.CancellationToken);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                return false;
            }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("OpenStreetMap", response.Headers.GetValues("X-Data-Attribution").Single());
            return true;
        }, TimeSpan.FromMinutes(2), "lds-api to load its road network", TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task BodiesOver10MbAreRefusedWithProblemDetailsExceptOnTheImportRoute()
    {
        var body = new byte[11 * 1024 * 1024];

        using var refused = await Platform.Http.PostAsync(new Uri(Platform.Router, "/api/v3/tokens"), new ByteArrayContent(body),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);

        using var imports = await Platform.Http.PostAsync(new Uri(Platform.Router, "/api/v3/imports"), new ByteArrayContent(body),
            TestContext.Current.CancellationToken);
        Assert.NotEqual(HttpStatusCode.RequestEntityTooLarge, imports.StatusCode);
    }

    [Fact]
    public async Task AKilledApiIsRestartedAndTheDashboardCountsIt()
    {
        await Platform.WaitHealthyAsync(RecoveryTimeout);
        var before = Platform.Resource("import-api");
        var killed = await Platform.WorkingProcessAsync("import-api");
        TestContext.Current.SendDiagnosticMessage($"import-api before the kill: {before}");

        Assert.True(ProcessSignals.IsAlive(killed));
        ProcessSignals.Kill9(killed);

        var after = await Platform.WaitForResourceAsync("import-api",
            state => state.Restarts == before.Restarts + 1 && state.State == "Running" && state.Pid != before.Pid, RecoveryTimeout);
        Assert.False(ProcessSignals.IsAlive(killed));
        Assert.True(ProcessSignals.IsAlive(await Platform.WorkingProcessAsync("import-api")));
        await Platform.WaitHealthyAsync(RecoveryTimeout);
    }

    [Theory]
    [InlineData("maps-api", "/api/v3/maps/carto_dw/table?name=cities", HttpStatusCode.ServiceUnavailable)]
    [InlineData("accounts-api", "/api/v3/accounts/me", HttpStatusCode.BadGateway)]
    public async Task AStoppedServiceAnswersProblemDetailsThroughTheRouterNotHtml(string service, string path, HttpStatusCode expected)
    {
        await Platform.WaitHealthyAsync(RecoveryTimeout);
        await Platform.ExecuteAsync(service, KnownResourceCommands.StopCommand);
        try
        {
            await Platform.WaitForResourceAsync(service, state => state.State is "Exited" or "Finished", RecoveryTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Platform.Router, path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);

            using var response = await Platform.Http.SendAsync(request, TestContext.Current.CancellationToken);

            Assert.Equal(expected, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
            Assert.EndsWith("/upstream-unavailable", problem.GetProperty("type").GetString());
            Assert.Contains("Try again shortly", problem.GetProperty("error").GetString());

            using var health = await Platform.Http.GetAsync(new Uri(Platform.Router, "/api/v3/health"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        }
        finally
        {
            await Platform.ExecuteAsync(service, KnownResourceCommands.StartCommand);
        }
        await Platform.WaitHealthyAsync(RecoveryTimeout);
    }

    private async Task<string> CacheStatusAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Platform.Router, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Platform.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("X-Cache").Single();
    }

    /// <summary>What cdn-invalidator does: PURGE straight to the cache, on this host, naming surrogate keys.</summary>
    private async Task<string> PurgeAsync(string keys)
    {
        using var purge = new HttpRequestMessage(new HttpMethod("PURGE"), new Uri($"http://127.0.0.1:{Platform.Ports["http-cache"]}/"));
        purge.Headers.Add("xkey-purge", keys);
        using var response = await Platform.Http.SendAsync(purge, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }
}
