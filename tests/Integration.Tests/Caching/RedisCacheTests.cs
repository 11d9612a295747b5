using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CartoSelfHosted.Integration.Tests.Caching;

/// <summary>The tag-based cache against the shared test Redis, set up as a service sets it up.</summary>
public sealed class RedisCacheTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3_000_000)]
    public async Task BinaryValuesComeBackAsTheyWere(int size)
    {
        using var host = Redis.BuildHost();
        var cache = host.Cache();
        var prefix = Redis.UniquePrefix("round-trip");
        var value = Redis.Bytes(size, size);

        await cache.SetAsync(prefix + "plain", value, TimeSpan.FromMinutes(1), [], Cancel);
        await cache.SetAsync(prefix + "tagged", value, TimeSpan.FromMinutes(1), [prefix + "tag"], Cancel);

        Assert.Equal(value, await cache.GetAsync(prefix + "plain", Cancel));
        Assert.Equal(value, await cache.GetAsync(prefix + "tagged", Cancel));
        Assert.Null(await cache.GetAsync(prefix + "never-set", Cancel));
    }

    [Fact]
    public async Task AValueLivesForItsTimeToLiveAndNoLonger()
    {
        using var host = Redis.BuildHost();
        var cache = host.Cache();
        var prefix = Redis.UniquePrefix("ttl");

        await cache.SetAsync(prefix + "short", new byte[] { 1, 2, 3 }, TimeSpan.FromMilliseconds(400), [prefix + "tag"], Cancel);
        await cache.SetAsync(prefix + "plain", new byte[] { 5 }, TimeSpan.FromMilliseconds(400), [], Cancel);
        await cache.SetAsync(prefix + "long", new byte[] { 4 }, TimeSpan.FromMinutes(10), [], Cancel);

        Assert.Equal([1, 2, 3], await cache.GetAsync(prefix + "short", Cancel));
        Assert.InRange(await PttlAsync(host, prefix + "short"), 1, 400);
        Assert.InRange(await PttlAsync(host, prefix + "plain"), 1, 400);
        await Task.Delay(800, Cancel);
        Assert.Null(await cache.GetAsync(prefix + "short", Cancel));
        Assert.Null(await cache.GetAsync(prefix + "plain", Cancel));
        Assert.Equal([4], await cache.GetAsync(prefix + "long", Cancel));
    }

    [Fact]
    public async Task InvalidatingATagDeletesItsKeysAndItsSetAndNothingElse()
    {
        using var host = Redis.BuildHost();
        var cache = host.Cache();
        var prefix = Redis.UniquePrefix("tags");
        string one = prefix + "one", two = prefix + "two", three = prefix + "three";
        await cache.SetAsync(prefix + "a", new byte[] { 1 }, TimeSpan.FromMinutes(1), [one, two], Cancel);
        await cache.SetAsync(prefix + "b", new byte[] { 2 }, TimeSpan.FromMinutes(1), [two], Cancel);
        await cache.SetAsync(prefix + "c", new byte[] { 3 }, TimeSpan.FromMinutes(1), [three], Cancel);
        await cache.SetAsync(prefix + "d", new byte[] { 4 }, TimeSpan.FromMinutes(1), [], Cancel);

        Assert.Equal(1, await cache.InvalidateTagsAsync([one], Cancel));

        Assert.Null(await cache.GetAsync(prefix + "a", Cancel));
        Assert.Equal([2], await cache.GetAsync(prefix + "b", Cancel));
        Assert.Equal([3], await cache.GetAsync(prefix + "c", Cancel));
        Assert.Equal([4], await cache.GetAsync(prefix + "d", Cancel));
        Assert.Equal(0, await host.Database().KeyExistsAsync(["tag:" + one]));
        Assert.Equal(1, await host.Database().KeyExistsAsync(["tag:" + two]));

        // "a" is gone already: only "b" and "c" are deleted now.
        Assert.Equal(2, await cache.InvalidateTagsAsync([two, three], Cancel));
        Assert.Null(await cache.GetAsync(prefix + "b", Cancel));
        Assert.Null(await cache.GetAsync(prefix + "c", Cancel));
        Assert.Equal([4], await cache.GetAsync(prefix + "d", Cancel));
        Assert.Equal(0, await host.Database().KeyExistsAsync(["tag:" + two, "tag:" + three]));
        Assert.Equal(0, await cache.InvalidateTagsAsync([one], Cancel));
    }

    [Fact]
    public async Task InvalidatingATagOfMoreKeysThanOneUnlinkTakesDeletesThemAll()
    {
        using var host = Redis.BuildHost();
        var tag = Redis.UniquePrefix("many") + "tag";
        var keys = Enumerable.Range(0, 2500).Select(i => $"{tag}:{i}").ToList();
        await Task.WhenAll(keys.Select(key => host.Cache().SetAsync(key, new byte[] { 1 }, TimeSpan.FromMinutes(1), [tag], Cancel)));

        Assert.Equal(2500, await host.Database().SetLengthAsync("tag:" + tag));
        Assert.Equal(2500, await host.Cache().InvalidateTagsAsync([tag], Cancel));
        Assert.Equal(0, await host.Database().KeyExistsAsync([.. keys.Select(key => (RedisKey)key), "tag:" + tag]));
    }

    [Fact]
    public async Task ATagSetLivesAsLongAsItsLongestLivedValue()
    {
        using var host = Redis.BuildHost();
        var cache = host.Cache();
        var prefix = Redis.UniquePrefix("tag-ttl");
        var tag = prefix + "tag";

        await cache.SetAsync(prefix + "a", new byte[] { 1 }, TimeSpan.FromSeconds(100), [tag], Cancel);
        var afterFirst = await PttlAsync(host, "tag:" + tag);
        await cache.SetAsync(prefix + "b", new byte[] { 2 }, TimeSpan.FromSeconds(1000), [tag], Cancel);
        var afterLonger = await PttlAsync(host, "tag:" + tag);
        await cache.SetAsync(prefix + "c", new byte[] { 3 }, TimeSpan.FromSeconds(10), [tag], Cancel);
        var afterShorter = await PttlAsync(host, "tag:" + tag);

        Assert.InRange(afterFirst, await PttlAsync(host, prefix + "a"), 100_000);
        Assert.InRange(afterLonger, 990_000, 1_000_000);
        Assert.InRange(afterShorter, 990_000, afterLonger);
    }

    [Fact]
    public async Task ScriptsGoAsTheirSha1OnceRedisHasSeenThem()
    {
        // A Redis of the test's own, whose command counts only this test moves.
        var port = LoopbackPorts.Free();
        using var server = await RedisServerProcess.StartAsync(port, Cancel);
        using var host = Redis.BuildHost(Redis.Address(port));
        var cache = host.Cache();

        for (var i = 0; i < 5; i++)
        {
            await cache.SetAsync("key" + i, new byte[] { 1 }, TimeSpan.FromMinutes(1), ["tag"], Cancel);
        }
        Assert.Equal(5, await cache.InvalidateTagsAsync(["tag"], Cancel));
        Assert.Equal(0, await cache.InvalidateTagsAsync(["tag"], Cancel));

        // StackExchange.Redis sends INFO only on a connection that allows admin commands.
        await using var admin = await ConnectionMultiplexer.ConnectAsync(Redis.Address(port) + ",allowAdmin=true");
        var stats = (await admin.GetServer(admin.GetEndPoints()[0]).InfoAsync("commandstats"))
            .SelectMany(group => group).ToDictionary(entry => entry.Key, entry => entry.Value);
        // Each script's first call is an EVAL (StackExchange.Redis then loads it with SCRIPT LOAD); every later one an EVALSHA.
        Assert.Equal(2, Calls(stats, "cmdstat_eval"));
        Assert.Equal(5, Calls(stats, "cmdstat_evalsha"));
    }

    [Fact]
    public async Task WithoutAConnectionStringTheCacheIsDisabled()
    {
        using var host = Redis.BuildHost(new Dictionary<string, string?> { ["ConnectionStrings:redis"] = null });
        var cache = host.Cache();

        Assert.False(cache.IsEnabled);
        Assert.Null(host.Services.GetService<IConnectionMultiplexer>());
        await cache.SetAsync("key", new byte[] { 1 }, TimeSpan.FromMinutes(1), ["tag"], Cancel);
        Assert.Null(await cache.GetAsync("key", Cancel));
        Assert.Equal(0, await cache.InvalidateTagsAsync(["tag"], Cancel));
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Cancel);
        Assert.Empty(report.Entries);
    }

    [Fact]
    public async Task AddRedisCacheReadsTheRedisSectionAndChecksHealthAsRedis()
    {
        using var host = Redis.BuildHost(new Dictionary<string, string?>
        {
            ["Redis:ConnectTimeout"] = "00:00:00.5",
            ["Redis:OperationTimeout"] = "00:00:02",
            ["Redis:ReconnectInterval"] = "00:00:03",
        });
        var cache = host.Cache();
        var key = Redis.UniquePrefix("di") + "key";

        var configuration = host.Services.GetRequiredService<IOptions<ConfigurationOptions>>().Value;
        Assert.Equal((500, 2000, 2000), (configuration.ConnectTimeout, configuration.AsyncTimeout, configuration.SyncTimeout));
        Assert.True(configuration.ReconnectRetryPolicy.ShouldRetry(1, 3000));
        Assert.False(configuration.ReconnectRetryPolicy.ShouldRetry(1, 2999));
        Assert.True(cache.IsEnabled);
        await cache.SetAsync(key, new byte[] { 7 }, TimeSpan.FromMinutes(1), [], Cancel);
        Assert.Equal([7], await cache.GetAsync(key, Cancel));
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Cancel);
        // Only the platform's check: Aspire's own would call an outage unhealthy.
        Assert.Equal([CachingExtensions.ConnectionName], report.Entries.Keys);
        Assert.Equal(HealthStatus.Healthy, report.Entries[CachingExtensions.ConnectionName].Status);
    }

    [Theory]
    [InlineData("ConnectTimeout", "00:00:00")]
    [InlineData("OperationTimeout", "00:20:00")]
    [InlineData("ReconnectInterval", "-00:00:01")]
    public async Task AnInvalidRedisSectionStopsTheServiceFromStarting(string option, string value)
    {
        using var host = Redis.BuildHost(new Dictionary<string, string?> { ["Redis:" + option] = value });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Cancel));
        Assert.Contains(option, error.Message);
    }

    private static async Task<double> PttlAsync(IHost host, string key) =>
        (await host.Database().KeyTimeToLiveAsync(key))?.TotalMilliseconds ?? throw new InvalidOperationException($"{key} has no time to live");

    private static long Calls(Dictionary<string, string> stats, string command) =>
        stats.TryGetValue(command, out var line) ? long.Parse(line.Split(',')[0]["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture) : 0;
}
