using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// Healthy when Redis answers PING on the service's own connection, so it reports what requests see; otherwise the
/// registration's failure status (degraded: Redis is optional). No address in the description: the platform health
/// endpoint is public.
/// </summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis, IOptions<RedisCacheOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(options.Value.OperationTimeout, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "redis does not answer");
        }
    }
}
