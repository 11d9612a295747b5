using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CartoSelfHosted.Platform.Tests;

/// <summary>What AddRedisCache makes of a connection string, without connecting to it.</summary>
public sealed class RedisConfigurationTests
{
    [Theory]
    [InlineData("127.0.0.1:6379", "127.0.0.1:6379")]
    [InlineData("cache.internal:16379,password=secret", "cache.internal:16379")]
    public void TheConnectionStringNamesTheServerAndTheCacheSetsTheTimeouts(string connectionString, string endpoint)
    {
        var configuration = ConfigurationOf(new() { ["ConnectionStrings:redis"] = connectionString });

        Assert.Equal([endpoint], configuration.EndPoints.Select(EndPointCollection.ToString));
        Assert.Equal(connectionString.Contains("password=secret") ? "secret" : null, configuration.Password);
        Assert.False(configuration.AbortOnConnectFail);
        Assert.Equal(1, configuration.ConnectRetry);
        Assert.Equal((250, 1000, 1000), (configuration.ConnectTimeout, configuration.AsyncTimeout, configuration.SyncTimeout));
        Assert.Same(BacklogPolicy.FailFast, configuration.BacklogPolicy);
        Assert.IsType<LinearRetry>(configuration.ReconnectRetryPolicy);
    }

    [Fact]
    public void TheRedisSectionWinsOverAspiresForTheTimeouts()
    {
        var configuration = ConfigurationOf(new()
        {
            ["ConnectionStrings:redis"] = "cache.internal:16379,connectTimeout=5000",
            ["Aspire:StackExchange:Redis:ConfigurationOptions:AsyncTimeout"] = "5000",
            ["Aspire:StackExchange:Redis:ConfigurationOptions:ClientName"] = "maps-api",
            ["Redis:ConnectTimeout"] = "00:00:00.1",
        });

        Assert.Equal((100, 1000), (configuration.ConnectTimeout, configuration.AsyncTimeout));
        // What the section Redis does not decide stays Aspire's to set.
        Assert.Equal("maps-api", configuration.ClientName);
    }

    private static ConfigurationOptions ConfigurationOf(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddRedisCache();
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<ConfigurationOptions>>().Value;
    }
}
