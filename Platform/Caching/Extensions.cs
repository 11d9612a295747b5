using CartoSelfHosted.Platform.Caching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

public static class CachingExtensions
{
    public const string ConnectionName = "redis";

    /// <summary>
    /// Registers <see cref="RedisCache"/> always, so code can use it unconditionally: without <c>ConnectionStrings__redis</c>
    /// it is disabled (every read a miss, every write a no-op). With it, also StackExchange.Redis' multiplexer through
    /// Aspire's client integration (its settings under <c>Aspire:StackExchange:Redis</c>, a trace span per command),
    /// with the timeouts of the section <c>Redis</c>, and the <c>redis</c> health check.
    /// </summary>
    /// <summary>
    /// <see cref="HttpCachePurger"/>, on <c>http://http-cache</c> (service discovery resolves it to the address AppHost
    /// gives); without that address it purges nothing, as there is no cache.
    /// </summary>
    public static IHostApplicationBuilder AddHttpCachePurger(this IHostApplicationBuilder builder)
    {
        var configured = builder.Configuration[$"services:{HttpCachePurger.ServiceName}:http:0"] is { Length: > 0 };
        builder.Services.Configure<HttpCachePurgerOptions>(options => options.Enabled = configured);
        builder.Services.AddHttpClient<HttpCachePurger>(client => client.BaseAddress = new Uri($"http://{HttpCachePurger.ServiceName}"));
        return builder;
    }

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
        if (builder.Configuration.GetConnectionString(ConnectionName) is { Length: > 0 })
        {
            // Aspire's own check would call a Redis outage unhealthy; the platform's says degraded (below).
            builder.AddRedisClient(ConnectionName, settings => settings.DisableHealthChecks = true);
            // After Aspire's configuration is bound, so the section Redis has the last word on what it decides.
            builder.Services.AddOptions<ConfigurationOptions>().Configure<IOptions<RedisCacheOptions>>((configuration, options) =>
            {
                options.Value.ApplyTo(configuration);
                // StackExchange.Redis would log every failed attempt to reconnect as an error with its stack trace;
                // RedisCache tells an outage once.
                configuration.LoggerFactory = NullLoggerFactory.Instance;
            });
            // Degraded, not unhealthy: a service keeps answering, uncached, while Redis is away.
            builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>(ConnectionName, HealthStatus.Degraded);
        }
        builder.Services.AddSingleton(services => new RedisCache(services.GetService<IConnectionMultiplexer>(),
            services.GetRequiredService<IOptions<RedisCacheOptions>>(), services.GetRequiredService<ILogger<RedisCache>>()));
        return builder;
    }
}
