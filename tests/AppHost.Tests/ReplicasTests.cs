using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>
/// The platform with two processes of every API and worker (<c>--Replicas=2</c>): the router and the HTTP cache balance
/// across them, and one of each killed under load loses nothing.
/// </summary>
public sealed class ReplicasTests(RunningPlatformWithReplicas running) : IClassFixture<RunningPlatformWithReplicas>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private static readonly TimeSpan Soak = TimeSpan.FromSeconds(60);

    /// <summary>Failures outside the kill that the soak tolerates, each recovered by a retry: more would be the router not trying another replica.</summary>
    private const int MostFailuresOutsideTheKill = 3;

    private PlatformInProcess Platform => running.Platform;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryApiAndWorkerRunsTwiceAndThePlatformsHealthListsEachReplica()
    {
        await Platform.WaitHealthyAsync(Patience);

        var running = Platform.Resources().Where(resource => resource.State == "Running").Select(resource => resource.Name).ToHashSet();
        foreach (var service in PlatformUnderTest.Services)
        {
            Assert.Contains(service, running);
            Assert.Contains(service + "-2", running);
        }
        using var response = await Platform.Http.GetAsync(new Uri(Platform.Router, "/api/v3/health"), Cancellation);
        var health = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(
            PlatformUnderTest.Services.SelectMany(service => new[] { service, service + "-2" }).Order(StringComparer.Ordinal),
            health.GetProperty("services").EnumerateArray().Select(service => service.GetProperty("name").GetString()!));
    }

    [Fact]
    public async Task ASessionAMapsCacheAndAnImportsProgressAreTheSameWhicheverReplicaIsAsked()
    {
        await Platform.WaitHealthyAsync(Patience);
        // A person signs up and in through the router; each replica of workspace-api and maps-api, asked directly on its
        // own port, takes the session, and refuses it within a second of the sign-out, whichever replica signed it out.
        using (var signUp = await SendAsync(HttpMethod.Post, new Uri(Platform.Router, "/api/v3/accounts/signup"),
            body: new { email = "replicas@example.com", password = "a long replica password" }))
        {
            Assert.True(signUp.StatusCode == HttpStatusCode.Created, await signUp.Content.ReadAsStringAsync(Cancellation));
        }
        using var signIn = await SendAsync(HttpMethod.Post, new Uri(Platform.Router, "/api/v3/accounts/signin"),
            body: new { email = "replicas@example.com", password = "a long replica password" });
        var session = (await signIn.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("access_token").GetString()!;
        var replicas = new[] { "workspace-api", "workspace-api-2" }.Select(name => new Uri($"http://127.0.0.1:{Platform.Ports[name]}/api/v3/connections"))
            .Concat(new[] { "maps-api", "maps-api-2" }.Select(name => new Uri($"http://127.0.0.1:{Platform.Ports[name]}/api/v3/sql/carto_dw/query?q=SELECT%201")))
            .ToList();
        foreach (var replica in replicas)
        {
            using var answer = await SendAsync(HttpMethod.Get, replica, session);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{replica}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync(Cancellation)}");
        }

        // A map of a table: both maps-api replicas name the same TileJSON, whose URL carries the table's cache value.
        var table = $"replicated_{Guid.NewGuid():N}"[..24];
        await Platform.WarehouseAsync($"CREATE TABLE org_default.{table} AS SELECT ST_SetSRID(ST_Point(1, 2), 4326) AS geom; " +
                                      $"ALTER TABLE org_default.{table} OWNER TO org_default");
        var tileJsons = new List<string>();
        foreach (var name in new[] { "maps-api", "maps-api-2" })
        {
            using var map = await SendAsync(HttpMethod.Get, new Uri($"http://127.0.0.1:{Platform.Ports[name]}/api/v3/maps/carto_dw/table?name={table}"));
            // Its host is the one asked (here each replica's own): the path and the query are the map's.
            tileJsons.Add(new Uri((await map.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("tilejson").GetProperty("url")[0].GetString()!)
                .PathAndQuery);
        }
        Assert.Single(tileJsons.Distinct());

        // An import's progress, asked of each import-api replica, is the same job, to its end.
        var csv = Path.Combine(Directory.CreateTempSubdirectory("carto-replicas-").FullName, "places.csv");
        await File.WriteAllTextAsync(csv, "name,latitude,longitude\nLisbon,38.72,-9.14\n", Cancellation);
        var import = await Platform.UploadAsync(csv, "places.csv", $"imported_{Guid.NewGuid():N}"[..24], Patience, Cancellation);
        await WaitUntilAsync(async () =>
        {
            var statuses = new List<string?>();
            foreach (var name in new[] { "import-api", "import-api-2" })
            {
                using var job = await SendAsync(HttpMethod.Get, new Uri($"http://127.0.0.1:{Platform.Ports[name]}/api/v3/imports/{import}"));
                statuses.Add(PlatformImports.JobStatus(await job.Content.ReadFromJsonAsync<JsonElement>(Cancellation)));
            }
            return statuses is ["success", "success"];
        }, $"import {import} to end as seen by both import-api replicas");

        using (var signOut = await SendAsync(HttpMethod.Post, new Uri(Platform.Router, "/api/v3/accounts/signout"), session))
        {
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        }
        foreach (var replica in replicas)
        {
            await Revocation.RefusedWithinASecondAsync(() => SendAsync(HttpMethod.Get, replica, session), Cancellation);
        }
    }

    [Fact]
    public async Task MixedTrafficWhileOneReplicaOfEachServiceIsKilledLosesNoRequestThatARetryWouldNotRecoverAndDoesEachJobOnce()
    {
        await Platform.WaitHealthyAsync(Patience);
        var run = Guid.NewGuid().ToString("N")[..8];
        var table = $"soak_{run}";
        await Platform.WarehouseAsync($"CREATE TABLE org_default.{table} AS SELECT g AS n, ST_SetSRID(ST_Point(g % 360 - 180, g % 170 - 85), 4326) AS geom " +
                                      $"FROM generate_series(1, 5000) g; ALTER TABLE org_default.{table} OWNER TO org_default");
        var instantiation = await GetJsonAsync($"/api/v3/maps/carto_dw/table?name={table}");
        var tiles = (await GetJsonAsync(instantiation.GetProperty("tilejson").GetProperty("url")[0].GetString()!)).GetProperty("tiles")[0].GetString()!;
        var csv = Path.Combine(Directory.CreateTempSubdirectory("carto-soak-").FullName, "places.csv");
        await File.WriteAllTextAsync(csv, "name,latitude,longitude\n" + string.Concat(Enumerable.Range(0, 10).Select(i => $"p{i},{i},{i}\n")), Cancellation);

        var outcomes = new ConcurrentBag<Outcome>();
        var jobs = new ConcurrentBag<(Guid Id, string Table)>();
        var imports = new ConcurrentBag<(Guid Id, string Table)>();
        var pings = new ConcurrentBag<Guid>();
        var clock = Stopwatch.StartNew();
        using var soak = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        soak.CancelAfter(Soak);
        var sequence = 0;

        async Task LoopAsync(string kind, TimeSpan pause, Func<int, Task<HttpResponseMessage>> send, Func<int, HttpResponseMessage, Task>? accepted = null)
        {
            while (!soak.IsCancellationRequested)
            {
                var started = clock.Elapsed;
                var status = await AttemptAsync(Interlocked.Increment(ref sequence));
                var ended = clock.Elapsed;
                // What a client does with a failed request: send it once more, as a new one (the first may have had its effect).
                var recovered = !WasAnswered(status) && WasAnswered(await AttemptAsync(Interlocked.Increment(ref sequence)));
                outcomes.Add(new Outcome(kind, started, ended, status, recovered));
                await Task.Delay(pause, CancellationToken.None);
            }

            async Task<HttpStatusCode> AttemptAsync(int n)
            {
                try
                {
                    using var response = await send(n);
                    if (response.IsSuccessStatusCode && accepted is not null)
                    {
                        await accepted(n, response);
                    }
                    return response.StatusCode;
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !Cancellation.IsCancellationRequested)
                {
                    return 0;
                }
            }
        }

        var random = new Random(7);
        var traffic = new[]
        {
            LoopAsync("tile", TimeSpan.FromMilliseconds(20), n =>
            {
                var z = 2 + n % 5;
                return SendAsync(HttpMethod.Get, new Uri(tiles.Replace("{z}/{x}/{y}", $"{z}/{random.Next(1 << z)}/{random.Next(1 << z)}")));
            }),
            LoopAsync("tile", TimeSpan.FromMilliseconds(20), n => SendAsync(HttpMethod.Get, new Uri(tiles.Replace("{z}/{x}/{y}", $"8/{n % 256}/{n / 256 % 256}")))),
            LoopAsync("query", TimeSpan.FromMilliseconds(50), n => SendAsync(HttpMethod.Get,
                new Uri(Platform.Router, "/api/v3/sql/carto_dw/query?q=" + Uri.EscapeDataString($"SELECT count(*) + {n} AS n FROM {table}")))),
            LoopAsync("job", TimeSpan.FromMilliseconds(700), n => SendAsync(HttpMethod.Post, new Uri(Platform.Router, "/api/v3/sql/carto_dw/job"),
                body: new { query = $"CREATE TABLE soakjob_{run}_{n} AS SELECT g FROM generate_series(1, 100) g" }),
                async (n, response) => jobs.Add((await IdOfAsync(response), $"soakjob_{run}_{n}"))),
            LoopAsync("import", TimeSpan.FromSeconds(2), n => Platform.SendUploadAsync(csv, "places.csv", $"soakimport_{run}_{n}", Cancellation),
                async (n, response) => imports.Add((await IdOfAsync(response), $"soakimport_{run}_{n}"))),
            LoopAsync("ping", TimeSpan.FromMilliseconds(300), n => SendAsync(HttpMethod.Post, new Uri(Platform.Router, "/api/v3/messaging/pings"), body: new { }),
                async (_, response) => pings.Add(await IdOfAsync(response))),
        };

        // A third of the way in, one replica of each service is killed — the first of some, the second of others, so
        // that the outbox's leader, wherever it was, may be among them — and the platform restarts each.
        await Task.Delay(Soak / 3, Cancellation);
        var killed = PlatformUnderTest.Services.Select((service, index) => index % 2 == 0 ? service : service + "-2").ToList();
        var before = killed.ToDictionary(name => name, name => Platform.Resource(name).Restarts);
        var pids = new List<int>();
        foreach (var name in killed)
        {
            pids.Add(await Platform.WorkingProcessAsync(name));
        }
        var killedAt = clock.Elapsed;
        pids.ForEach(ProcessSignals.Kill9);
        // A killed process takes a while to go (its memory given back): until it has, its port still takes connections
        // that it will never answer.
        while (pids.Any(ProcessSignals.IsAlive))
        {
            await Task.Delay(5, Cancellation);
        }
        var goneAt = clock.Elapsed;
        await Task.WhenAll(traffic);

        var summary = string.Join(", ", outcomes.GroupBy(outcome => outcome.Kind).OrderBy(group => group.Key)
            .Select(group => $"{group.Key} {group.Count(outcome => WasAnswered(outcome.Status))}/{group.Count()}"));
        var dying = $"{killedAt.TotalSeconds:0.000}-{goneAt.TotalSeconds:0.000} s";
        TestContext.Current.TestOutputHelper?.WriteLine($"killed {string.Join(' ', killed)}, gone {dying}; {summary}");
        // A request may fail if it was on its way while the processes died: it may have been on a killed one. Any other
        // failure is the router's to prevent; the bar is that a retry recovers it, and the router tries another
        // replica itself where that is safe, so a handful at most (each retried with success) is tolerated and told.
        var failed = outcomes.Where(outcome => !WasAnswered(outcome.Status)).ToList();
        var unexplained = failed.Where(outcome => outcome.Started > goneAt || outcome.Ended < killedAt).ToList();
        var described = string.Join("; ", unexplained.Take(20).Select(outcome =>
            $"{outcome.Kind} {(int)outcome.Status} {outcome.Started.TotalSeconds:0.000}-{outcome.Ended.TotalSeconds:0.000} s" +
            (outcome.Recovered ? " (its retry went through)" : " (its retry failed too)")));
        // The router's log is read once, and only when there is something to explain.
        var routerSaid = "";
        if (unexplained.Count > 0)
        {
            routerSaid = RouterFailures();
            TestContext.Current.TestOutputHelper?.WriteLine($"failed outside {dying}: {described}\nthe router said:\n{routerSaid}");
        }
        Assert.True(unexplained.Count <= MostFailuresOutsideTheKill && unexplained.All(outcome => outcome.Recovered),
            $"failed though not in flight while the killed processes went ({dying}): {described}\n{summary}\nthe router said:\n{routerSaid}");
        Assert.All(new[] { "tile", "query", "job", "import", "ping" }, kind =>
            Assert.True(outcomes.Count(outcome => outcome.Kind == kind && WasAnswered(outcome.Status)) >= 5, $"too few {kind}s went through: {summary}"));

        // Every killed replica is back.
        foreach (var name in killed)
        {
            await Platform.WaitForResourceAsync(name, state => state.Restarts == before[name] + 1 && state.State == "Running", Patience);
        }

        // Each accepted job and import ends in success, its table made once; each ping reaches every subscription once.
        foreach (var (id, jobTable) in jobs)
        {
            await WaitUntilAsync(async () => (await GetJsonAsync($"/api/v3/sql/carto_dw/job/{id}")).GetProperty("status").GetString() is "success" or "failure",
                $"job {id} to end");
            Assert.Equal("success", (await GetJsonAsync($"/api/v3/sql/carto_dw/job/{id}")).GetProperty("status").GetString());
            Assert.Equal(100, await CountAsync(jobTable));
        }
        foreach (var (id, importTable) in imports)
        {
            JsonElement job = default;
            await WaitUntilAsync(async () => PlatformImports.JobStatus(job = await Platform.ImportJobAsync(id, Cancellation)) is "success" or "failure",
                $"import {id} to end");
            Assert.True(PlatformImports.JobStatus(job) == "success", job.ToString());
            Assert.Equal(10, await CountAsync(importTable));
        }
        foreach (var ping in pings)
        {
            List<JsonElement> deliveries = [];
            await WaitUntilAsync(async () => (deliveries = [.. (await GetJsonAsync($"/api/v3/messaging/pings/{ping}")).GetProperty("deliveries").EnumerateArray()])
                .Count == MessagingTests.Subscriptions.Length, $"ping {ping} to reach every subscription");
            Assert.Equal(MessagingTests.Subscriptions, deliveries.Select(delivery => delivery.GetProperty("subscription").GetString()));
            Assert.All(deliveries, delivery => Assert.Equal(1, delivery.GetProperty("handledCount").GetInt32()));
        }
    }

    /// <summary>A request of the soak: when it went, how it was answered, and whether the client's one retry went through if it failed.</summary>
    private sealed record Outcome(string Kind, TimeSpan Started, TimeSpan Ended, HttpStatusCode Status, bool Recovered);

    /// <summary>What router-http logged of the requests it answered with a 5xx of its own, each with the start of its exception.</summary>
    private string RouterFailures()
    {
        var lines = Platform.LogOf("router-http").Split('\n');
        return string.Join('\n', lines.Select((line, index) => (line, index)).Where(entry => entry.line.Contains("failed at the router"))
            .SelectMany(entry => lines.Skip(entry.index).Take(6)));
    }

    /// <summary>Anything but a 5xx or no answer at all: what the soak counts as a request that went through.</summary>
    private static bool WasAnswered(HttpStatusCode status) => (int)status is >= 200 and < 500;

    private async Task<long> CountAsync(string table)
    {
        var answer = await GetJsonAsync("/api/v3/sql/carto_dw/query?q=" + Uri.EscapeDataString($"SELECT count(*) AS n FROM {table}"));
        return answer.GetProperty("rows")[0].GetProperty("n").GetInt64();
    }

    private static async Task<Guid> IdOfAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("id").GetGuid();

    private async Task<JsonElement> GetJsonAsync(string url)
    {
        using var response = await SendAsync(HttpMethod.Get, new Uri(Platform.Router, url));
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancellation)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, string? token = null, object? body = null, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content ?? (body is null ? null : JsonContent.Create(body)) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Platform.DevToken);
        return await Platform.Http.SendAsync(request, Cancellation);
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) =>
        Eventually.WaitUntilAsync(condition, Patience, what, Cancellation);
}
