using CartoSelfHosted.Platform.Caching;

namespace CartoSelfHosted.Platform.Tests;

public sealed class RedisEndpointTests
{
    [Theory]
    [InlineData("127.0.0.1:6379", "127.0.0.1", 6379)]
    [InlineData("cache.internal:16379,abortConnect=false", "cache.internal", 16379)]
    [InlineData("cache.internal", "cache.internal", 6379)]
    public void RedisConnectionStringsParse(string connectionString, string host, int port) =>
        Assert.Equal(new RedisEndpoint(host, port), RedisEndpoint.Parse(connectionString));
}
