using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Caching;
using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.TestSupport;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.WorkspaceApi.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CartoSelfHosted.Integration.Tests;

public sealed class DependencyHealthTests
{
    [Fact]
    public async Task RedisAnswersPingAndAClosedPortIsDegraded()
    {
        var closed = LoopbackPorts.Free();
        using var upHost = Redis.BuildHost(TestServers.Redis);
        using var downHost = Redis.BuildHost(Redis.Address(closed));

        var up = await CheckAsync(ActivatorUtilities.CreateInstance<RedisHealthCheck>(upHost.Services));
        var down = await CheckAsync(ActivatorUtilities.CreateInstance<RedisHealthCheck>(downHost.Services));

        Assert.Equal(HealthStatus.Healthy, up.Status);
        Assert.Equal(HealthStatus.Degraded, down.Status);
        Assert.Equal("redis does not answer", down.Description);
        // The platform health endpoint is public: descriptions name no address.
        Assert.DoesNotContain(closed.ToString(System.Globalization.CultureInfo.InvariantCulture), down.Description);
    }

    [Fact]
    public async Task ThePubSubEmulatorAnswersAndAClosedPortIsDegraded()
    {
        var closed = LoopbackPorts.Free();
        using var upCheck = new PubSubHealthCheck(new PubSubOptions("test", TestServers.PubSubEmulatorHost));
        using var downCheck = new PubSubHealthCheck(new PubSubOptions("test", $"127.0.0.1:{closed}"));

        var up = await CheckAsync(upCheck);
        var down = await CheckAsync(downCheck);

        Assert.Equal(HealthStatus.Healthy, up.Status);
        Assert.Equal(HealthStatus.Degraded, down.Status);
        Assert.Equal("the emulator does not answer", down.Description);
        // The platform health endpoint is public: descriptions name no address.
        Assert.DoesNotContain(closed.ToString(System.Globalization.CultureInfo.InvariantCulture), down.Description);
    }

    [Fact]
    public async Task PlatformHealthListsEveryServiceAndIs503WhenOneIsDown()
    {
        var closed = LoopbackPorts.Free();
        await using var api = await ApiFactory<ConnectionList>.StartAsync("health", new Dictionary<string, string>
        {
            ["ConnectionStrings:warehouse"] = await TestServers.CreateDatabaseAsync("health_dw"),
            ["ConnectionStrings:redis"] = TestServers.Redis,
            ["PUBSUB_EMULATOR_HOST"] = TestServers.PubSubEmulatorHost,
            ["services:maps-api:http:0"] = $"http://127.0.0.1:{closed}",
        });

        using var response = await api.CreateClient().GetAsync("/api/v3/health", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var services = report.GetProperty("services").EnumerateArray()
            .ToDictionary(service => service.GetProperty("name").GetString()!, service => service.GetProperty("status").GetString());
        Assert.Equal("Unhealthy", services["maps-api"]);
        Assert.Equal("Healthy", services["workspace-api"]);
        Assert.Equal("Unhealthy", report.GetProperty("status").GetString());
        Assert.DoesNotContain(closed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static Task<HealthCheckResult> CheckAsync(IHealthCheck check) =>
        check.CheckHealthAsync(new HealthCheckContext
        {
            Registration = new HealthCheckRegistration("test", check, HealthStatus.Degraded, null),
        }, TestContext.Current.CancellationToken);
}
