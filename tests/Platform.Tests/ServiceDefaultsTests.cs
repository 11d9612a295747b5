using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using CartoSelfHosted.ServiceDefaults.Health;
using CartoSelfHosted.ServiceDefaults.Telemetry;
using CartoSelfHosted.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartoSelfHosted.Platform.Tests;

/// <summary>What every service gets from AddServiceDefaults, on a real Kestrel over loopback.</summary>
public sealed class ServiceDefaultsTests
{
    [Fact]
    public async Task AnHttpClientReachesAnotherServiceByTheNameAppHostGaveIt()
    {
        await using var mapsApi = await StartServiceAsync("maps-api", new Dictionary<string, string?>());
        await using var caller = await StartServiceAsync("workspace-api", new Dictionary<string, string?>
        {
            ["services:maps-api:http:0"] = mapsApi.Address.ToString(),
        });

        using var client = caller.App.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        var answer = await client.GetStringAsync(new Uri("http://maps-api/whoami"), TestContext.Current.CancellationToken);

        Assert.Equal("maps-api", answer);
    }

    [Fact]
    public async Task HealthProbesAreNotTracedAndASampledEndpointIsRecordedOnlySometimesUnlessItsCallerTracedIt()
    {
        var recorded = new ConcurrentBag<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            // Never raises what OpenTelemetry decided: the request's activity is recorded only if the service records it.
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            ActivityStopped = activity =>
            {
                if (activity.Recorded)
                {
                    recorded.Add(activity.GetTagItem("url.path") as string ?? "?");
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var service = await StartServiceAsync("maps-api", new Dictionary<string, string?>());
        // A caller with no trace of its own, as a browser: the test's own activity is not sent along.
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = service.Address };

        for (var i = 0; i < 200; i++)
        {
            await client.GetStringAsync(new Uri("/tile", UriKind.Relative), TestContext.Current.CancellationToken);
        }
        await client.GetStringAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken);
        await client.GetStringAsync(new Uri("/alive", UriKind.Relative), TestContext.Current.CancellationToken);
        await client.GetStringAsync(new Uri("/whoami", UriKind.Relative), TestContext.Current.CancellationToken);

        // A request's activity stops just after its answer is sent: the last one recorded is the sign all were.
        await Eventually.WaitUntilAsync(() => Task.FromResult(recorded.Contains("/whoami")), TimeSpan.FromSeconds(5), "/whoami recorded",
            TestContext.Current.CancellationToken);
        Assert.DoesNotContain("/health", recorded);
        Assert.DoesNotContain("/alive", recorded);
        // One in ten of 200: far fewer than all, and (but for a chance of 1 in 10^9) more than none.
        Assert.InRange(recorded.Count(path => path == "/tile"), 1, 60);

        // A caller that traced its request (router-http samples the same routes) has it traced here too, every time.
        var before = recorded.Count(path => path == "/tile");
        for (var i = 0; i < 20; i++)
        {
            using var traced = new HttpRequestMessage(HttpMethod.Get, new Uri("/tile", UriKind.Relative));
            traced.Headers.Add("traceparent", $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-01");
            (await client.SendAsync(traced, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }
        await Eventually.WaitUntilAsync(() => Task.FromResult(recorded.Count(path => path == "/tile") == before + 20), TimeSpan.FromSeconds(5),
            "the 20 traced requests recorded", TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AServiceThatStopsStillSendsItsLastLogLinesToTheCollector()
    {
        // A collector of our own on loopback, as the Aspire dashboard is one: it keeps the body of every export.
        var exports = new ConcurrentQueue<(string Path, byte[] Body)>();
        var collectorPort = LoopbackPorts.Free();
        var collectorBuilder = WebApplication.CreateSlimBuilder();
        collectorBuilder.WebHost.UseUrls($"http://127.0.0.1:{collectorPort}");
        await using var collector = collectorBuilder.Build();
        collector.MapPost("/v1/{signal}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            exports.Enqueue((request.Path.Value!, body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync(TestContext.Current.CancellationToken);

        var service = await StartServiceAsync("import-worker", new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{collectorPort}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
        });
        // The exporter makes its HttpClient at its first export, so one has gone before the stop, as in a running service.
        service.App.Logger.LogWarning("import-worker is running");
        while (!exports.Any(export => export.Path == "/v1/logs"))
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        await service.App.StopAsync(TestContext.Current.CancellationToken);
        // Logs are exported in batches: what a service says while it stops goes in the batch flushed at its end.
        service.App.Logger.LogWarning("the last words of import-worker");
        await service.DisposeAsync();

        var lastWords = System.Text.Encoding.UTF8.GetBytes("the last words of import-worker");
        Assert.Contains(exports, export => export.Path == "/v1/logs" && export.Body.AsSpan().IndexOf(lastWords) >= 0);
    }

    [Fact]
    public async Task ABurstOfHealthRequestsRunsTheChecksOnceAndALaterOneRunsThemAgain()
    {
        var runs = 0;
        await using var service = await StartServiceAsync("maps-api", new Dictionary<string, string?>(), services => services.AddHealthChecks()
            .AddAsyncCheck("database", async cancellationToken =>
            {
                Interlocked.Increment(ref runs);
                // As long as a check that opens a connection under load: every caller of the burst arrives meanwhile.
                await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken);
                return HealthCheckResult.Healthy();
            }));
        using var client = new HttpClient { BaseAddress = service.Address };

        var burst = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ =>
            client.GetAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken)));
        Assert.All(burst, answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode));
        Assert.Equal(1, runs);
        // Liveness runs only the process's own check, and is not held back by readiness's report.
        (await client.GetAsync(new Uri("/alive", UriKind.Relative), TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        Assert.Equal(1, runs);

        await Task.Delay(CoalescedHealthCheckService.ReuseFor + TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        (await client.GetAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        Assert.Equal(2, runs);
    }

    private static async Task<RunningService> StartServiceAsync(string name, Dictionary<string, string?> configuration,
        Action<IServiceCollection>? services = null)
    {
        var port = LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.AddServiceDefaults();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/whoami", () => name);
        app.MapGet("/tile", () => "tile").WithMetadata(new SampledTracing(10));
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new RunningService(app, new Uri($"http://127.0.0.1:{port}"));
    }

    private sealed record RunningService(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
