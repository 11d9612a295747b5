using CartoSelfHosted.Platform.Caching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

public static class CachingExtensions
{
    public const string ConnectionName = "redis";

    /// <summary>Registers the Redis endpoint and its health check when <c>ConnectionStrings__redis</c> is set; without it the service runs uncached.</summary>
    public static IHostApplicationBuilder AddRedisCache(this IHostApplicationBuilder builder)
    {
        if (builder.Configuration.GetConnectionString(ConnectionName) is { Length: > 0 } connectionString)
        {
            builder.Services.AddSingleton(RedisEndpoint.Parse(connectionString));
            builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>(ConnectionName, HealthStatus.Degraded);
        }
        return builder;
    }
}
