using CartoSelfHosted.Platform.Caching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.Integration.Tests.Caching;

/// <summary>The tag-based cache against the shared test Redis.</summary>
public sealed class RedisCacheTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3_000_000)]
    public async Task BinaryValuesComeBackAsTheyWere(int size)
    {
        await using var cache = Redis.Cache(Redis.Client());
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
        await using var client = Redis.Client();
        await using var cache = Redis.Cache(client);
        var prefix = Redis.UniquePrefix("ttl");

        await cache.SetAsync(prefix + "short", new byte[] { 1, 2, 3 }, TimeSpan.FromMilliseconds(400), [prefix + "tag"], Cancel);
        await cache.SetAsync(prefix + "long", new byte[] { 4 }, TimeSpan.FromMinutes(10), [], Cancel);

        Assert.Equal([1, 2, 3], await cache.GetAsync(prefix + "short", Cancel));
        Assert.InRange((await client.ExecuteAsync(new RedisCommand("PTTL", prefix + "short"), Cancel)).Integer, 1, 400);
        await Task.Delay(800, Cancel);
        Assert.Null(await cache.GetAsync(prefix + "short", Cancel));
        Assert.Equal([4], await cache.GetAsync(prefix + "long", Cancel));
    }

    [Fact]
    public async Task InvalidatingATagDeletesItsKeysAndItsSetAndNothingElse()
    {
        await using var client = Redis.Client();
        await using var cache = Redis.Cache(client);
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
        Assert.Equal(0, await ExistsAsync(client, "tag:" + one));
        Assert.Equal(1, await ExistsAsync(client, "tag:" + two));

        // "a" is gone already: only "b" and "c" are deleted now.
        Assert.Equal(2, await cache.InvalidateTagsAsync([two, three], Cancel));
        Assert.Null(await cache.GetAsync(prefix + "b", Cancel));
        Assert.Null(await cache.GetAsync(prefix + "c", Cancel));
        Assert.Equal([4], await cache.GetAsync(prefix + "d", Cancel));
        Assert.Equal(0, await ExistsAsync(client, "tag:" + two, "tag:" + three));
        Assert.Equal(0, await cache.InvalidateTagsAsync([one], Cancel));
    }

    [Fact]
    public async Task ATagSetLivesAsLongAsItsLongestLivedValue()
    {
        await using var client = Redis.Client();
        await using var cache = Redis.Cache(client);
        var prefix = Redis.UniquePrefix("tag-ttl");
        var tag = prefix + "tag";

        await cache.SetAsync(prefix + "a", new byte[] { 1 }, TimeSpan.FromSeconds(100), [tag], Cancel);
        var afterFirst = await PttlAsync(client, "tag:" + tag);
        await cache.SetAsync(prefix + "b", new byte[] { 2 }, TimeSpan.FromSeconds(1000), [tag], Cancel);
        var afterLonger = await PttlAsync(client, "tag:" + tag);
        await cache.SetAsync(prefix + "c", new byte[] { 3 }, TimeSpan.FromSeconds(10), [tag], Cancel);
        var afterShorter = await PttlAsync(client, "tag:" + tag);

        Assert.InRange(afterFirst, await PttlAsync(client, prefix + "a"), 100_000);
        Assert.InRange(afterLonger, 990_000, 1_000_000);
        Assert.InRange(afterShorter, 990_000, afterLonger);
    }

    [Fact]
    public async Task WithoutAConnectionStringTheCacheIsDisabled()
    {
        using var host = BuildHost(new Dictionary<string, string?>());
        var cache = host.Services.GetRequiredService<RedisCache>();

        Assert.False(cache.IsEnabled);
        Assert.Null(host.Services.GetService<RedisClient>());
        await cache.SetAsync("key", new byte[] { 1 }, TimeSpan.FromMinutes(1), ["tag"], Cancel);
        Assert.Null(await cache.GetAsync("key", Cancel));
        Assert.Equal(0, await cache.InvalidateTagsAsync(["tag"], Cancel));
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Cancel);
        Assert.DoesNotContain(CachingExtensions.ConnectionName, report.Entries.Keys);
    }

    [Fact]
    public async Task AddRedisCacheReadsTheRedisSectionAndChecksHealthThroughTheClient()
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = TestServers.Redis,
            ["Redis:PoolSize"] = "3",
            ["Redis:OperationTimeout"] = "00:00:02",
        });
        var cache = host.Services.GetRequiredService<RedisCache>();
        var key = Redis.UniquePrefix("di") + "key";

        var options = host.Services.GetRequiredService<IOptions<RedisCacheOptions>>().Value;
        Assert.Equal((3, TimeSpan.FromSeconds(2)), (options.PoolSize, options.OperationTimeout));
        Assert.True(cache.IsEnabled);
        await cache.SetAsync(key, new byte[] { 7 }, TimeSpan.FromMinutes(1), [], Cancel);
        Assert.Equal([7], await cache.GetAsync(key, Cancel));
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Cancel);
        Assert.Equal(HealthStatus.Healthy, report.Entries[CachingExtensions.ConnectionName].Status);
    }

    [Fact]
    public async Task AnInvalidRedisSectionStopsTheServiceFromStarting()
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = TestServers.Redis,
            ["Redis:PoolSize"] = "0",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Cancel));
        Assert.Contains(nameof(RedisCacheOptions.PoolSize), error.Message);
    }

    internal static IHost BuildHost(Dictionary<string, string?> configuration, RecordingLoggerProvider? logs = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(configuration);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }
        // As ServiceDefaults does in every service.
        builder.Services.AddHealthChecks();
        builder.AddRedisCache();
        return builder.Build();
    }

    private static async Task<long> ExistsAsync(RedisClient client, params string[] keys) =>
        (await client.ExecuteAsync(new RedisCommand("EXISTS", [.. keys.Select(key => (RedisArgument)key)]), Cancel)).Integer;

    private static async Task<long> PttlAsync(RedisClient client, string key) =>
        (await client.ExecuteAsync(new RedisCommand("PTTL", key), Cancel)).Integer;
}
