using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartoSelfHosted.Integration.Tests.Caching;

/// <summary>Redis going away and coming back, with servers of the tests' own.</summary>
public sealed class RedisOutageTests
{
    private static readonly string ClientCategory = typeof(RedisClient).FullName!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WhenRedisDiesCallsFailFastAndOnceItIsBackTheCacheWorksAgain()
    {
        var port = LoopbackPorts.Free();
        var logs = new RecordingLoggerProvider();
        using var host = RedisCacheTests.BuildHost(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            ["Redis:CircuitBreakDuration"] = "00:00:01",
        }, logs);
        var cache = host.Services.GetRequiredService<RedisCache>();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var server = await RedisServerProcess.StartAsync(port, Cancel);
        try
        {
            await cache.SetAsync("before", new byte[] { 1 }, TimeSpan.FromMinutes(1), ["tag"], Cancel);
            Assert.Equal([1], await cache.GetAsync("before", Cancel));
            Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(Cancel)).Entries["redis"].Status);

            server.Kill();

            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 20; i++)
            {
                Assert.Null(await cache.GetAsync("before", Cancel));
            }
            await cache.SetAsync("during", new byte[] { 2 }, TimeSpan.FromMinutes(1), ["tag"], Cancel);
            await Assert.ThrowsAsync<RedisUnavailableException>(() => cache.InvalidateTagsAsync(["tag"], Cancel));
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
            // The registration's failure status: degraded, Redis being optional.
            Assert.Equal(HealthStatus.Degraded, (await health.CheckHealthAsync(Cancel)).Entries["redis"].Status);
            // Past the break one call tries Redis again, fails, and the circuit opens again: no second warning.
            await Task.Delay(TimeSpan.FromMilliseconds(1200), Cancel);
            Assert.Null(await cache.GetAsync("before", Cancel));
            Assert.Equal(1, logs.Count(ClientCategory, LogLevel.Warning));
            Assert.Equal(0, logs.Count(ClientCategory, LogLevel.Information));
        }
        finally
        {
            server.Dispose();
        }

        using var restarted = await RedisServerProcess.StartAsync(port, Cancel);
        var back = Stopwatch.StartNew();
        await Eventually.WaitUntilAsync(async () =>
        {
            await cache.SetAsync("after", new byte[] { 3 }, TimeSpan.FromMinutes(1), ["tag"], Cancel);
            return await cache.GetAsync("after", Cancel) is [3];
        }, TimeSpan.FromSeconds(5), "the cache to work again", Cancel);

        Assert.InRange(back.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
        Assert.Equal(1, await cache.InvalidateTagsAsync(["tag"], Cancel));
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(Cancel)).Entries["redis"].Status);
        // Told once as it started and once as it ended, not per call.
        Assert.Equal(1, logs.Count(ClientCategory, LogLevel.Warning));
        Assert.Equal(1, logs.Count(ClientCategory, LogLevel.Information));
    }

    [Fact]
    public async Task AHungRedisCostsOneTimeoutThenIsNotAskedUntilTheCircuitBreakEnds()
    {
        // Accepts connections (the kernel does, into the backlog) and never answers.
        using var hung = new TcpListener(IPAddress.Loopback, LoopbackPorts.Free());
        hung.Start();
        var endpoint = new RedisEndpoint("127.0.0.1", ((IPEndPoint)hung.LocalEndpoint).Port);
        await using var cache = Redis.Cache(Redis.Client(options =>
            (options.OperationTimeout, options.CircuitBreakDuration) = (TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(30)), endpoint));

        var clock = Stopwatch.StartNew();
        Assert.Null(await cache.GetAsync("key", Cancel));
        var first = clock.Elapsed;
        clock.Restart();
        for (var i = 0; i < 20; i++)
        {
            Assert.Null(await cache.GetAsync("key", Cancel));
        }
        await cache.SetAsync("key", new byte[] { 1 }, TimeSpan.FromMinutes(1), ["tag"], Cancel);
        await Assert.ThrowsAsync<RedisUnavailableException>(() => cache.InvalidateTagsAsync(["tag"], Cancel));
        var rest = clock.Elapsed;

        Assert.InRange(first, TimeSpan.FromMilliseconds(280), TimeSpan.FromSeconds(2));
        Assert.InRange(rest, TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
        var connections = 0;
        while (hung.Pending())
        {
            using var accepted = hung.AcceptTcpClient();
            connections++;
        }
        Assert.Equal(1, connections);
    }
}
