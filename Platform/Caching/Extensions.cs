using CartoSelfHosted.Platform.Caching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

public static class CachingExtensions
{
    public const string ConnectionName = "redis";

    /// <summary>
    /// Registers <see cref="RedisCache"/> always, so code can use it unconditionally: without <c>ConnectionStrings__redis</c>
    /// it is disabled (every read a miss, every write a no-op). With it, also the <see cref="RedisClient"/> (options from
    /// the section <c>Redis</c>) and the <c>redis</c> health check.
    /// </summary>
    public static IHostApplicationBuilder AddRedisCache(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(RedisCache)))
        {
            return builder;
        }
        builder.Services.AddOptions<RedisCacheOptions>()
            .Bind(builder.Configuration.GetSection(RedisCacheOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        if (builder.Configuration.GetConnectionString(ConnectionName) is { Length: > 0 } connectionString)
        {
            builder.Services.AddSingleton(RedisEndpoint.Parse(connectionString));
            builder.Services.AddSingleton<RedisClient>();
            // Degraded, not unhealthy: a service keeps answering, uncached, while Redis is away.
            builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>(ConnectionName, HealthStatus.Degraded);
        }
        builder.Services.AddSingleton(services =>
            new RedisCache(services.GetService<RedisClient>(), services.GetRequiredService<ILogger<RedisCache>>()));
        return builder;
    }
}
