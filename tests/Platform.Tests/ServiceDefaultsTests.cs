using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using CartoSelfHosted.ServiceDefaults.Telemetry;
using CartoSelfHosted.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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
    public async Task HealthProbesAreNotTracedAndASampledEndpointIsRecordedOnlySometimes()
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
        using var client = new HttpClient { BaseAddress = service.Address };

        for (var i = 0; i < 200; i++)
        {
            await client.GetStringAsync(new Uri("/tile", UriKind.Relative), TestContext.Current.CancellationToken);
        }
        await client.GetStringAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken);
        await client.GetStringAsync(new Uri("/alive", UriKind.Relative), TestContext.Current.CancellationToken);
        await client.GetStringAsync(new Uri("/whoami", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Contains("/whoami", recorded);
        Assert.DoesNotContain("/health", recorded);
        Assert.DoesNotContain("/alive", recorded);
        // One in ten of 200: far fewer than all, and (but for a chance of 1 in 10^9) more than none.
        Assert.InRange(recorded.Count(path => path == "/tile"), 1, 60);
    }

    private static async Task<RunningService> StartServiceAsync(string name, Dictionary<string, string?> configuration)
    {
        var port = LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.AddServiceDefaults();
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
