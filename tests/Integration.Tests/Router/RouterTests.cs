using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Accounts;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.RouterHttp.Routing;
using CartoSelfHosted.ServiceDefaults.Telemetry;
using CartoSelfHosted.TestSupport;
using Npgsql;
using CartoSelfHosted.ServiceDefaults.OpenApi;

namespace CartoSelfHosted.Integration.Tests.Router;

/// <summary>
/// router-http's own behaviour, on Kestrel, against a service of the tests' own behind it: what reaches the service,
/// streaming both ways, timeouts, and which origins may call. The whole platform behind it is AppHost.Tests' part.
/// </summary>
public sealed class RouterTests : IAsyncLifetime
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private Upstream _upstream = null!;
    private string _metadata = null!;
    private RouterFactory _router = null!;
    private HttpClient _http = null!;
    private Uri _base = null!;

    /// <summary>A token of the default organization, known to the router's metadata database.</summary>
    private readonly string _token = ApiTokens.Generate();

    /// <summary>An API access token with a referer, likewise.</summary>
    private readonly string _accessToken = ApiTokens.Generate();

    public async ValueTask InitializeAsync()
    {
        _upstream = await Upstream.StartAsync();
        _metadata = await TestServers.CreateMetadataDatabaseAsync("router");
        await ExecuteMetadataAsync("""
            INSERT INTO api_tokens (organization_id, name, token_hash, scopes) VALUES ($1, 'router test', $2, '{admin}');
            """, MetadataDatabase.DefaultOrganizationId, ApiTokens.Hash(_token));
        await ExecuteMetadataAsync("""
            INSERT INTO api_tokens (organization_id, name, token_hash, grants, allowed_apis, referers)
            VALUES ($1, 'public map', $2, '[{"connection_name": "carto_dw", "source": "cities"}]', '{maps}', '{https://app.example.com}');
            """, MetadataDatabase.DefaultOrganizationId, ApiTokens.Hash(_accessToken));
        _router = new RouterFactory(_upstream.Address, _metadata);
        _base = _router.Start();
        _http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None });
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _router.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task TheServiceGetsTheRequestIdTheRouterMarkAndTheHostTheCallerUsed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, "/api/v3/connections?x=1"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        // A caller cannot name the host services write into their URLs.
        request.Headers.Add("X-Forwarded-Host", "evil.example.net");
        using var response = await _http.SendAsync(request, Cancel);
        var echo = await Upstream.ReadEchoAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/api/v3/connections?x=1", echo.GetProperty("path").GetString());
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), echo.GetProperty("requestId").GetString());
        Assert.Equal("router-http", echo.GetProperty("router").GetString());
        Assert.Equal(_base.Authority, echo.GetProperty("forwardedHost").GetString());
        Assert.Equal("Bearer " + _token, echo.GetProperty("authorization").GetString());
        // Nothing says what runs behind the router.
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task WhatGoesToTheCacheNeedsATokenThePlatformKnowsWhileItLasts()
    {
        // Unknown: refused by the router itself (the cache could hold answers for it), as the service would.
        using (var unknown = await SendAsync("/api/v3/maps/carto_dw/table?name=cities", ApiTokens.Generate()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
            Assert.Contains("unknown, revoked or expired", (await unknown.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error").GetString());
        }
        // Without credentials the service answers (its health, or its own 401); other routes are the service's to check.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("/api/v3/health", token: null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("/api/v3/imports", ApiTokens.Generate())).StatusCode);

        // Known: through, with no limits of the caller's making.
        using (var known = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, "/api/v3/maps/carto_dw/table?name=cities")))
        {
            known.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            known.Headers.Add(CacheCredentials.LimitsHeader, "forged");
            using var response = await _http.SendAsync(known, Cancel);
            Assert.Equal("", (await Upstream.ReadEchoAsync(response)).GetProperty("tokenLimits").GetString());
        }

        // Gone from the database (deleted, expired, its session ended): refused within a second.
        await ExecuteMetadataAsync("DELETE FROM api_tokens WHERE token_hash = $1", ApiTokens.Hash(_token));
        await Revocation.RefusedWithinASecondAsync(() => SendAsync("/api/v3/sql/carto_dw/query?q=1", _token), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ATokenNamedInThePathReachesTheServiceButNotTheAccessLog()
    {
        var named = ApiTokens.Generate();
        using (var response = await SendAsync($"/api/v3/tokens/{named}", _token))
        {
            Assert.Equal($"/api/v3/tokens/{named}", (await Upstream.ReadEchoAsync(response)).GetProperty("path").GetString());
        }
        await Eventually.WaitUntilAsync(async () => (await ReadAccessLogAsync()).Contains("/api/v3/tokens/" + TokenRedaction.Redacted, StringComparison.Ordinal),
            TimeSpan.FromSeconds(5), "the request's line in the access log: " + await ReadAccessLogAsync(), Cancel);
        Assert.DoesNotContain(named, await ReadAccessLogAsync());
    }

    [Fact]
    public async Task TheAccessLogCountsTheRequestsItHadNoRoomForAndKeepsItsNewestDays()
    {
        // Room for one line a second, and twenty requests at once: most go unlogged, which the log says.
        await using var router = new RouterFactory(_upstream.Address, _metadata, new Dictionary<string, string>
        {
            ["AccessLog:QueueLimit"] = "1",
            ["AccessLog:FlushInterval"] = "00:00:01",
            ["AccessLog:RetainedFiles"] = "3",
        });
        // Files of earlier days: three are kept, today's among them.
        foreach (var day in new[] { "20260101", "20260102", "20260103" })
        {
            await File.WriteAllTextAsync(Path.Combine(router.AccessLogDirectory, AccessLog.FilePrefix + day + ".txt"), "#Version: 1.0\n", Cancel);
        }
        var address = router.Start();
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var response = await _http.GetAsync(new Uri(address, "/api/v3/tokens"), Cancel);
            return response.StatusCode;
        }));
        Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));

        await Eventually.WaitUntilAsync(async () => (await ReadAccessLogAsync(router.AccessLogDirectory)).Contains(" requests not logged: the queue was full", StringComparison.Ordinal),
            TimeSpan.FromSeconds(5), "the access log's count of unlogged requests: " + await ReadAccessLogAsync(router.AccessLogDirectory), Cancel);
        var lines = (await ReadAccessLogAsync(router.AccessLogDirectory)).Split('\n');
        Assert.InRange(lines.Count(line => line.Contains(" GET /api/v3/tokens 200 ", StringComparison.Ordinal)), 1, 19);
        var unlogged = lines.Where(line => line.StartsWith("#Remark: ", StringComparison.Ordinal))
            .Sum(line => int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture));
        Assert.Equal(20, unlogged + lines.Count(line => line.Contains(" GET /api/v3/tokens 200 ", StringComparison.Ordinal)));
        Assert.Equal(
            [AccessLog.FilePrefix + "20260102.txt", AccessLog.FilePrefix + "20260103.txt", AccessLog.FilePrefix + DateTime.UtcNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + ".txt"],
            Directory.GetFiles(router.AccessLogDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AnApiAccessTokenIsHeldToItsReferersAndTheCacheKeysByItsLimits()
    {
        using var fromTheApp = await SendAsync("/api/v3/maps/carto_dw/table?name=cities", _accessToken, "https://app.example.com");
        var limits = (await Upstream.ReadEchoAsync(fromTheApp)).GetProperty("tokenLimits").GetString();
        Assert.Matches("^[0-9a-f]{24}$", limits);

        using (var elsewhere = await SendAsync("/api/v3/maps/carto_dw/table?name=cities", _accessToken, "https://evil.example.net"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
            Assert.Equal(ApiAccessTokens.UnauthorizedReferer, (await elsewhere.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error").GetString());
        }

        // Its grants change: so does the value the cache keys its answers by, within a second.
        await ExecuteMetadataAsync("""UPDATE api_tokens SET grants = '[{"connection_name": "carto_dw", "source": "roads"}]' WHERE token_hash = $1""",
            ApiTokens.Hash(_accessToken));
        await Eventually.WaitUntilAsync(async () =>
        {
            using var response = await SendAsync("/api/v3/maps/carto_dw/table?name=cities", _accessToken, "https://app.example.com");
            return (await Upstream.ReadEchoAsync(response)).GetProperty("tokenLimits").GetString() != limits;
        }, TimeSpan.FromSeconds(1), "the token's new limits to reach the cache", Cancel);
    }

    [Theory]
    [InlineData("caller-id.1:2", "caller-id.1:2")]
    [InlineData("has space", null)]
    [InlineData("{\"json\":1}", null)]
    public async Task APlainCallerRequestIdIsKeptAndAnythingElseReplaced(string sent, string? kept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, "/api/v3/connections"));
        request.Headers.TryAddWithoutValidation("X-Request-Id", sent);
        using var response = await _http.SendAsync(request, Cancel);

        var id = response.Headers.GetValues("X-Request-Id").Single();
        if (kept is null)
        {
            Assert.Matches("^[0-9a-f]{32}$", id);
        }
        else
        {
            Assert.Equal(kept, id);
        }
        Assert.Equal(id, (await Upstream.ReadEchoAsync(response)).GetProperty("requestId").GetString());
    }

    [Fact]
    public async Task AQueryResultStreamsToTheCallerAsTheServiceWritesIt()
    {
        using var response = await _http.GetAsync(new Uri(_base, "/api/v3/sql/carto_dw/stream"), HttpCompletionOption.ResponseHeadersRead, Cancel);
        await using var body = await response.Content.ReadAsStreamAsync(Cancel);
        using var reader = new StreamReader(body);

        // The service has not finished its answer: the first line came through on its own.
        Assert.Equal("first line", await reader.ReadLineAsync(Cancel).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Cancel));
        _upstream.FinishStream.SetResult();
        Assert.Equal("last line", await reader.ReadLineAsync(Cancel));
    }

    [Fact]
    public async Task AnUploadReachesTheImportServiceWhileTheCallerIsStillSendingIt()
    {
        var sending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var content = new StreamingContent(async stream =>
        {
            await stream.WriteAsync(new byte[1024 * 1024], Cancel);
            await stream.FlushAsync(Cancel);
            // The rest only once the service has seen the first megabyte: a router that buffered would wait forever.
            await _upstream.UploadStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
            await stream.WriteAsync(new byte[15 * 1024 * 1024], Cancel);
            sending.SetResult();
        });

        using var response = await _http.PostAsync(new Uri(_base, "/api/v3/imports/upload"), content, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(16 * 1024 * 1024, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("bytes").GetInt64());
        Assert.True(sending.Task.IsCompleted);
    }

    [Fact]
    public async Task AChunkedBodyOverTheLimitIsStoppedWithA413Problem()
    {
        using var content = new StreamingContent(async stream =>
        {
            var chunk = new byte[1024 * 1024];
            for (var i = 0; i < 12; i++)
            {
                await stream.WriteAsync(chunk, Cancel);
            }
        });

        using var response = await _http.PostAsync(new Uri(_base, "/api/v3/accounts/upload"), content, Cancel);

        var problem = await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "/payload-too-large");
        Assert.Contains("10,485,760 bytes", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ADeclaredBodyOverTheLimitIsRefusedAndTheCallerStillReadsThe413()
    {
        // HttpClient sends the whole body before it reads the answer: the router must read the rest, not hang up.
        using var response = await _http.PostAsync(new Uri(_base, "/api/v3/tokens"), new ByteArrayContent(new byte[11 * 1024 * 1024]), Cancel);

        var problem = await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "/payload-too-large");
        Assert.Contains("10,485,760 bytes", problem.GetProperty("detail").GetString());

        // The import route takes files up to CARTO's 5 GB.
        using var upload = await _http.PostAsync(new Uri(_base, "/api/v3/imports/upload"), new ByteArrayContent(new byte[11 * 1024 * 1024]), Cancel);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal(11 * 1024 * 1024, (await upload.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("bytes").GetInt64());
    }

    [Fact]
    public async Task AServiceTooSlowToAnswerIsA504Problem()
    {
        using var response = await _http.GetAsync(new Uri(_base, "/api/v3/sql/carto_dw/slow"), Cancel);

        var problem = await AssertProblemAsync(response, HttpStatusCode.GatewayTimeout, "/upstream-timeout");
        Assert.Contains("did not answer in time", problem.GetProperty("error").GetString());
    }

    [Fact]
    public async Task AServiceNobodyAnswersForIsA502Problem()
    {
        using var response = await _http.GetAsync(new Uri(_base, "/api/v3/lds/geocoding/geocode?address=x"), Cancel);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadGateway, "/upstream-unavailable");
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), problem.GetProperty("requestId").GetString());
    }

    [Fact]
    public async Task SavedMapPathsGoToWorkspaceApiWhileSourcesTileJsonAndTilesStayWithTheCache()
    {
        // workspace-api is where nobody answers: a 502 says a path went there, a 200 that it went to the cache.
        await using var router = new RouterFactory(_upstream.Address, _metadata, new Dictionary<string, string>
        {
            ["ReverseProxy:Clusters:workspace-api:Destinations:workspace-api:Address"] = RouterFactory.NobodyListening,
        });
        var address = router.Start();
        var map = Guid.NewGuid();
        foreach (var path in new[] { "/api/v3/maps", $"/api/v3/maps/{map}", $"/api/v3/maps/{map}/copy", $"/api/v3/maps/public/{map}" })
        {
            using var response = await _http.GetAsync(new Uri(address, path), Cancel);
            await AssertProblemAsync(response, HttpStatusCode.BadGateway, "/upstream-unavailable");
        }
        foreach (var path in new[]
        {
            "/api/v3/maps/carto_dw/table?name=cities", "/api/v3/maps/carto_dw/query?q=SELECT%201", "/api/v3/maps/public/table?name=x",
            $"/api/v3/maps/carto_dw/table/{map}", "/api/v3/maps/carto_dw/table/t1/0/0/0", "/api/v3/maps/not-a-uuid",
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            using var response = await _http.SendAsync(request, Cancel);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task WhatTheCacheNeverKeepsGoesStraightToTheServiceBehindIt()
    {
        // maps-api and workspace-api are where nobody answers: a 502 says a request went straight there, a 200 that it
        // went to the cache.
        await using var router = new RouterFactory(_upstream.Address, _metadata, new Dictionary<string, string>
        {
            ["ReverseProxy:Clusters:maps-api:Destinations:maps-api:Address"] = RouterFactory.NobodyListening,
            ["ReverseProxy:Clusters:workspace-api:Destinations:workspace-api:Address"] = RouterFactory.NobodyListening,
        });
        var address = router.Start();
        foreach (var (method, path, expected) in new[]
        {
            (HttpMethod.Get, "/api/v3/sql/carto_dw/query?q=SELECT%201", HttpStatusCode.OK),
            (HttpMethod.Post, "/api/v3/sql/carto_dw/query", HttpStatusCode.BadGateway),
            (HttpMethod.Post, "/api/v3/sql/carto_dw/job", HttpStatusCode.BadGateway),
            (HttpMethod.Get, "/api/v3/stats/carto_dw/cities/population", HttpStatusCode.OK),
            (HttpMethod.Post, "/api/v3/stats/carto_dw/cities/population", HttpStatusCode.BadGateway),
            (HttpMethod.Post, "/api/v3/maps/carto_dw/query", HttpStatusCode.BadGateway),
            (HttpMethod.Post, "/api/v3/sql/carto_dw/model/formula", HttpStatusCode.BadGateway),
            (HttpMethod.Head, "/api/v3/connections", HttpStatusCode.OK),
            (HttpMethod.Delete, "/api/v3/connections/mine", HttpStatusCode.BadGateway),
        })
        {
            using var request = new HttpRequestMessage(method, new Uri(address, path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            if (method == HttpMethod.Post)
            {
                request.Content = JsonContent.Create(new { q = "SELECT 1" });
            }
            using var response = await _http.SendAsync(request, Cancel);
            Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task ARequestThatAReplicaRefusedGoesToAnotherReplicaBodyAndAll()
    {
        // Two replicas of maps-api, one of them dead; no health checks, which would soon leave it out: every request
        // picked for the dead one is refused there and must be sent again to the live one.
        await using var router = new RouterFactory(_upstream.Address, _metadata, new Dictionary<string, string>
        {
            ["ReverseProxy:Clusters:maps-api:Destinations:maps-api:Address"] = RouterFactory.NobodyListening,
            ["ReverseProxy:Clusters:maps-api:Destinations:maps-api-2:Address"] = _upstream.Address,
            ["ReverseProxy:Clusters:maps-api:HealthCheck:Active:Enabled"] = "false",
            ["ReverseProxy:Clusters:maps-api:LoadBalancingPolicy"] = "RoundRobin",
        });
        var address = router.Start();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, $"/api/v3/sql/carto_dw/job?n={attempt}"))
            {
                Content = JsonContent.Create(new { query = $"SELECT {attempt}" }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            using var response = await _http.SendAsync(request, Cancel);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var echo = await Upstream.ReadEchoAsync(response);
            Assert.Equal($"/api/v3/sql/carto_dw/job?n={attempt}", echo.GetProperty("path").GetString());
            Assert.Equal($$"""{"query":"SELECT {{attempt}}"}""", echo.GetProperty("body").GetString());
        }
    }

    [Fact]
    public async Task ABodyWaitsForTheServicesGoAheadOnlyWhereAnotherReplicaCouldTakeTheRequest()
    {
        // Expect: 100-continue costs a round trip per request; it buys sending the request again elsewhere (above).
        await using var replicated = new RouterFactory(_upstream.Address, _metadata, new Dictionary<string, string>
        {
            ["ReverseProxy:Clusters:maps-api:Destinations:maps-api-2:Address"] = _upstream.Address,
        });
        foreach (var (address, expected) in new[] { (_base, ""), (replicated.Start(), "100-continue") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/api/v3/sql/carto_dw/model/formula"))
            {
                Content = JsonContent.Create(new { source = "cities" }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            using var response = await _http.SendAsync(request, Cancel);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var echo = await Upstream.ReadEchoAsync(response);
            Assert.Equal(expected, echo.GetProperty("expect").GetString());
            Assert.Equal("""{"source":"cities"}""", echo.GetProperty("body").GetString());
        }
    }

    [Fact]
    public async Task AGetThatADyingReplicaDroppedGoesToAnotherReplicaButAPostItTookIsNeverSentTwice()
    {
        // A replica whose process is going takes connections and drops them without an answer; the other one answers.
        using var dying = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        dying.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var dropping = DropEveryConnectionAsync(dying, stop.Token);
        await using var router = new RouterFactory(_upstream.Address, _metadata, new Dictionary<string, string>
        {
            ["ReverseProxy:Clusters:maps-api:Destinations:maps-api:Address"] = $"http://{dying.LocalEndpoint}",
            ["ReverseProxy:Clusters:maps-api:Destinations:maps-api-2:Address"] = _upstream.Address,
            ["ReverseProxy:Clusters:maps-api:HealthCheck:Active:Enabled"] = "false",
            ["ReverseProxy:Clusters:maps-api:LoadBalancingPolicy"] = "RoundRobin",
        });
        var address = router.Start();

        var gets = new List<HttpStatusCode>();
        var posts = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 10; attempt++)
        {
            using var get = await _http.GetAsync(new Uri(address, "/api/docs/openapi/maps.json"), Cancel);
            gets.Add(get.StatusCode);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/api/v3/sql/carto_dw/job"))
            {
                Content = JsonContent.Create(new { query = "SELECT 1" }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            using var post = await _http.SendAsync(request, Cancel);
            posts.Add(post.StatusCode);
        }
        await stop.CancelAsync();
        await dropping;

        Assert.All(gets, status => Assert.Equal(HttpStatusCode.OK, status));
        // Round robin: every other POST met the dying replica, which may have had it, and is answered 502.
        Assert.Equal(5, posts.Count(status => status == HttpStatusCode.BadGateway));
        Assert.Equal(5, posts.Count(status => status == HttpStatusCode.OK));
    }

    private static async Task DropEveryConnectionAsync(System.Net.Sockets.TcpListener listener, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                using var connection = await listener.AcceptSocketAsync(cancellationToken);
                // Read what came, as a process would before it dies, then reset the connection.
                await connection.ReceiveAsync(new byte[64 * 1024], cancellationToken);
                connection.LingerState = new System.Net.Sockets.LingerOption(true, 0);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [Fact]
    public async Task JsonIsCompressedAsTheCallerAsksAndAnswersAlreadyCompressedAreLeftAlone()
    {
        var plain = await FetchAsync("identity");
        Assert.Null(plain.Encoding);
        foreach (var (accept, expected) in new[] { ("br", "br"), ("gzip", "gzip"), ("gzip, deflate, br", "br") })
        {
            var compressed = await FetchAsync(accept);

            Assert.Equal(expected, compressed.Encoding);
            Assert.InRange(compressed.Bytes, 1, plain.Bytes / 3);
            Assert.Contains("Accept-Encoding", compressed.Vary);
        }

        // A tile comes compressed from the cache: passed on byte for byte, never compressed again.
        using var tileRequest = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, "/api/v3/maps/carto_dw/table/t1/0/0/0"));
        tileRequest.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, deflate, br");
        using var tile = await _http.SendAsync(tileRequest, Cancel);
        Assert.Equal("gzip", tile.Content.Headers.ContentEncoding.Single());
        Assert.Equal(Upstream.GzippedTile, await tile.Content.ReadAsByteArrayAsync(Cancel));

        async Task<(string? Encoding, int Bytes, IReadOnlyCollection<string> Vary)> FetchAsync(string accept)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, "/api/v3/maps/big.json"));
            request.Headers.TryAddWithoutValidation("Accept-Encoding", accept);
            using var response = await _http.SendAsync(request, Cancel);
            var bytes = await response.Content.ReadAsByteArrayAsync(Cancel);
            return (response.Content.Headers.ContentEncoding.SingleOrDefault(), bytes.Length, response.Headers.Vary.ToList());
        }
    }

    [Fact]
    public async Task AnyOriginMayCallByDefaultAndPreflightsNeedNoToken()
    {
        using var preflight = Preflight("/api/v3/sql/carto_dw/query", "https://app.example.com");
        using var answer = await _http.SendAsync(preflight, Cancel);

        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal("*", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var allowed = answer.Headers.GetValues("Access-Control-Allow-Headers").Single().Split(',');
        Assert.Superset(new HashSet<string>(["Authorization", "Content-Type", "Cache-Control", "If-Modified-Since"]), allowed.ToHashSet());
        Assert.Equal("7200", answer.Headers.GetValues("Access-Control-Max-Age").Single());

        using var call = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, "/api/v3/connections"));
        call.Headers.Add("Origin", "https://app.example.com");
        using var response = await _http.SendAsync(call, Cancel);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("X-Request-Id", response.Headers.GetValues("Access-Control-Expose-Headers").Single());
        Assert.Contains("Origin", response.Headers.Vary);
        // The preflight stopped at the router; the call went on, with its origin.
        Assert.Equal("https://app.example.com", (await Upstream.ReadEchoAsync(response)).GetProperty("origin").GetString());
    }

    [Fact]
    public async Task AnInstallationThatNamesItsOriginsAnswersOnlyThemAndVariesByOrigin()
    {
        await using var restricted = new RouterFactory(_upstream.Address, _metadata, new Dictionary<string, string>
        {
            ["Cors:AllowedOrigins:0"] = "https://maps.example.com",
        });
        var address = restricted.Start();

        using var allowedPreflight = Preflight("/api/v3/maps/carto_dw/table", "https://maps.example.com", address);
        using var allowed = await _http.SendAsync(allowedPreflight, Cancel);
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("https://maps.example.com", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("Origin", allowed.Headers.Vary);

        using var otherPreflight = Preflight("/api/v3/maps/carto_dw/table", "https://evil.example.net", address);
        using var other = await _http.SendAsync(otherPreflight, Cancel);
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));

        // A call from an origin not named gets its answer without CORS headers (the browser withholds it), and that
        // answer too says it varies by origin, so no cache gives it to the allowed origin or the other way round.
        foreach (var (origin, expected) in new[] { ("https://evil.example.net", null), ("https://maps.example.com", "https://maps.example.com") })
        {
            using var call = new HttpRequestMessage(HttpMethod.Get, new Uri(address, "/api/v3/connections"));
            call.Headers.Add("Origin", origin);
            using var response = await _http.SendAsync(call, Cancel);
            Assert.Equal(expected, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null);
            Assert.Contains("Origin", response.Headers.Vary);
        }
    }

    [Theory]
    [InlineData("/", "CartoSelfHosted")]
    [InlineData("/maps/123", "CartoSelfHosted")]
    [InlineData("/acc/", "accounts")]
    [InlineData("/acc/login", "accounts")]
    public async Task TheWebAppsAreServedAndTheirOwnPathsGetTheirPage(string path, string expected)
    {
        using var response = await _http.GetAsync(new Uri(_base, path), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(Cancel));
    }

    [Theory]
    [InlineData("accounts")]
    [InlineData("imports")]
    [InlineData("maps")]
    [InlineData("workspace")]
    public async Task EachServicesOpenApiDocumentIsServedUnderTheApiReference(string service)
    {
        using var response = await _http.GetAsync(new Uri(_base, $"{ApiReference.Path}/openapi/{service}.json"), Cancel);
        var echo = await Upstream.ReadEchoAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ApiDocument.Path, echo.GetProperty("path").GetString());
    }

    [Fact]
    public async Task TheApiReferenceIsOnePageOverEveryDocumentServedFromTheRouterItself()
    {
        using var response = await _http.GetAsync(new Uri(_base, ApiReference.Path + "/"), Cancel);
        var page = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.All(new[] { "accounts", "imports", "lds", "maps", "workspace" },
            service => Assert.Contains($"api/docs/openapi/{service}.json", page));
        // Nothing it loads is off the machine: its scripts are the router's own, and it names no other host.
        Assert.DoesNotContain("http://", page);
        Assert.DoesNotContain("https://", page);
        foreach (var script in new[] { "scalar.js", "scalar.aspnetcore.js" })
        {
            Assert.Contains($"src=\"{script}\"", page);
            using var served = await _http.GetAsync(new Uri(_base, $"{ApiReference.Path}/{script}"), Cancel);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
        // And the path without its slash leads there (the page's relative URLs need it).
        using var bare = await _http.GetAsync(new Uri(_base, ApiReference.Path), Cancel);
        Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
        Assert.Equal(ApiReference.Path + "/", bare.RequestMessage?.RequestUri?.AbsolutePath);
    }

    [Fact]
    public async Task AFileThatDoesNotExistIsA404Problem()
    {
        using var response = await _http.GetAsync(new Uri(_base, "/assets/missing.js"), Cancel);

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "/not-found");
    }

    private HttpRequestMessage Preflight(string path, string origin, Uri? address = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, new Uri(address ?? _base, path));
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return request;
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string typeSuffix)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.EndsWith(typeSuffix, problem.GetProperty("type").GetString());
        // CARTO's clients show the `error` member.
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("error").GetString()));
        return problem;
    }

    /// <summary>A request body written as the test goes, sent chunked.</summary>
    private sealed class StreamingContent(Func<Stream, Task> write) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => write(stream);

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string path, string? token, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, path));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        return await _http.SendAsync(request, Cancel);
    }

    /// <summary>Every line of the router's access log so far (its files are still open for writing).</summary>
    private async Task<string> ReadAccessLogAsync(string? directory = null)
    {
        var text = new System.Text.StringBuilder();
        foreach (var file in Directory.GetFiles(directory ?? _router.AccessLogDirectory).Order(StringComparer.Ordinal))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            text.Append(await reader.ReadToEndAsync(Cancel));
        }
        return text.ToString();
    }

    private async Task ExecuteMetadataAsync(string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(_metadata);
        await connection.OpenAsync(Cancel);
        await connection.ExecuteAsync(sql, Cancel, values);
    }
}
