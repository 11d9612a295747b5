using System.Diagnostics;
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
    private static readonly string CacheCategory = typeof(RedisCache).FullName!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WhenRedisDiesCallsFailFastAndOnceItIsBackTheCacheWorksAgain()
    {
        var port = LoopbackPorts.Free();
        var logs = new RecordingLoggerProvider();
        var server = await RedisServerProcess.StartAsync(port, Cancel);
        using var host = Redis.BuildHost(Redis.Address(port), logs);
        var cache = host.Cache();
        try
        {
            await cache.SetAsync("before", new byte[] { 1 }, TimeSpan.FromMinutes(1), ["tag"], Cancel);
            Assert.Equal([1], await cache.GetAsync("before", Cancel));
            Assert.Equal(HealthStatus.Healthy, await RedisHealthAsync(host));

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
            Assert.Equal(HealthStatus.Degraded, await RedisHealthAsync(host));
            // Reconnection attempts fail meanwhile (one a second), and none of them is told again.
            await Task.Delay(TimeSpan.FromMilliseconds(2500), Cancel);
            Assert.Null(await cache.GetAsync("before", Cancel));
            Assert.Equal(1, logs.Count(CacheCategory, LogLevel.Warning));
            Assert.Equal(0, logs.Count(CacheCategory, LogLevel.Information));
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
        // Redis came back empty: "before" went with it and "during" was never stored.
        Assert.Equal(1, await cache.InvalidateTagsAsync(["tag"], Cancel));
        Assert.Equal(HealthStatus.Healthy, await RedisHealthAsync(host));
        // Told once as it started and once as it ended, not per call.
        Assert.Equal(1, logs.Count(CacheCategory, LogLevel.Warning));
        Assert.Equal(1, logs.Count(CacheCategory, LogLevel.Information));
    }

    [Fact]
    public async Task ARedisDownFromTheStartDelaysNothingAndIsUsedOnceItComesUp()
    {
        var port = LoopbackPorts.Free();
        var logs = new RecordingLoggerProvider();
        using var host = Redis.BuildHost(Redis.Address(port), logs);

        var clock = Stopwatch.StartNew();
        await host.StartAsync(Cancel);
        var cache = host.Cache();
        Assert.Null(await cache.GetAsync("key", Cancel));
        await cache.SetAsync("key", new byte[] { 1 }, TimeSpan.FromMinutes(1), ["tag"], Cancel);
        var error = await Assert.ThrowsAsync<RedisUnavailableException>(() => cache.InvalidateTagsAsync(["tag"], Cancel));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.Equal("Redis cannot be reached.", error.Message);
        Assert.Equal(HealthStatus.Degraded, await RedisHealthAsync(host));
        Assert.Equal(1, logs.Count(CacheCategory, LogLevel.Warning));

        using var server = await RedisServerProcess.StartAsync(port, Cancel);
        await Eventually.WaitUntilAsync(async () => await RedisHealthAsync(host) == HealthStatus.Healthy,
            TimeSpan.FromSeconds(5), "the cache to connect", Cancel);

        await cache.SetAsync("key", new byte[] { 2 }, TimeSpan.FromMinutes(1), ["tag"], Cancel);
        Assert.Equal([2], await cache.GetAsync("key", Cancel));
        Assert.Equal(1, await cache.InvalidateTagsAsync(["tag"], Cancel));
        Assert.Equal(1, logs.Count(CacheCategory, LogLevel.Warning));
        Assert.Equal(1, logs.Count(CacheCategory, LogLevel.Information));
        await host.StopAsync(Cancel);
    }

    [Fact]
    public async Task ARedisThatAcceptsConnectionsButNeverAnswersCostsOneConnectTimeout()
    {
        // Accepts connections (the kernel does, into the backlog) and never answers.
        using var hung = new TcpListener(IPAddress.Loopback, LoopbackPorts.Free());
        hung.Start();
        var logs = new RecordingLoggerProvider();
        using var host = Redis.BuildHost(Redis.Address(((IPEndPoint)hung.LocalEndpoint).Port), logs);

        var clock = Stopwatch.StartNew();
        var cache = host.Cache();
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

        // Connecting waits ConnectTimeout (250 ms) for Redis' answer to its handshake, then gives up.
        Assert.InRange(first, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1));
        Assert.InRange(rest, TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
        Assert.Equal(HealthStatus.Degraded, await RedisHealthAsync(host));
        Assert.Equal(1, logs.Count(CacheCategory, LogLevel.Warning));
    }

    [Fact]
    public async Task ARedisThatStopsAnsweringCostsACallNoMoreThanItsTimeoutAndIsThenSkipped()
    {
        var port = LoopbackPorts.Free();
        var logs = new RecordingLoggerProvider();
        using var server = await RedisServerProcess.StartAsync(port, Cancel);
        using var host = Redis.BuildHost(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = Redis.Address(port),
            ["Redis:OperationTimeout"] = "00:00:00.5",
        }, logs);
        var cache = host.Cache();
        await cache.SetAsync("key", new byte[] { 1 }, TimeSpan.FromMinutes(1), [], Cancel);

        server.Pause();
        try
        {
            // Its connection stays open, so calls go out and wait: each for the timeout at most, until StackExchange.Redis
            // gives the connection up as dead and calls fail at once.
            var clock = Stopwatch.StartNew();
            var slowest = TimeSpan.Zero;
            var call = Stopwatch.StartNew();
            while (true)
            {
                call.Restart();
                Assert.Null(await cache.GetAsync("key", Cancel));
                slowest = call.Elapsed > slowest ? call.Elapsed : slowest;
                if (call.Elapsed < TimeSpan.FromMilliseconds(50))
                {
                    break;
                }
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "calls never started failing at once");
            }
            Assert.InRange(slowest, TimeSpan.FromMilliseconds(450), TimeSpan.FromMilliseconds(800));
            Assert.Equal(HealthStatus.Degraded, await RedisHealthAsync(host));
            Assert.Equal(1, logs.Count(CacheCategory, LogLevel.Warning));
        }
        finally
        {
            server.Resume();
        }

        await Eventually.WaitUntilAsync(async () => await cache.GetAsync("key", Cancel) is [1],
            TimeSpan.FromSeconds(5), "the cache to answer again", Cancel);
        Assert.Equal(1, logs.Count(CacheCategory, LogLevel.Warning));
        Assert.Equal(1, logs.Count(CacheCategory, LogLevel.Information));
    }

    private static async Task<HealthStatus> RedisHealthAsync(IHost host) =>
        (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Cancel)).Entries[CachingExtensions.ConnectionName].Status;
}
