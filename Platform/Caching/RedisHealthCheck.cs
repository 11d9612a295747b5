using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// Healthy when Redis answers PING; otherwise the registration's failure status (degraded: Redis is optional). No
/// address in the description: the platform health endpoint is public.
/// </summary>
public sealed class RedisHealthCheck : IHealthCheck
{
    private readonly Func<CancellationToken, Task<bool>> _ping;

    /// <summary>Asks through the service's own client, so it reports what requests see, an open circuit included (at once).</summary>
    [ActivatorUtilitiesConstructor]
    public RedisHealthCheck(RedisClient client) => _ping = client.PingAsync;

    /// <summary>Asks on a fresh connection each time, for a caller without a client.</summary>
    public RedisHealthCheck(RedisEndpoint endpoint) => _ping = cancellationToken => RedisPing.PingAsync(endpoint, cancellationToken);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        return await _ping(timeout.Token)
            ? HealthCheckResult.Healthy()
            : new HealthCheckResult(context.Registration.FailureStatus, "redis does not answer");
    }
}
