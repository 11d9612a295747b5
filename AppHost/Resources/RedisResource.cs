using System.Globalization;
using CartoSelfHosted.AppHost.Hosting;
using CartoSelfHosted.Platform.Caching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>Redis as a local process, in memory only: it is a cache, nothing in it needs to survive a restart.</summary>
public sealed class RedisServerResource(string name, string workingDirectory)
    : ExecutableResource(name, "/usr/bin/redis-server", workingDirectory), IResourceWithConnectionString
{
    public EndpointReference PrimaryEndpoint => new(this, "tcp");

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}

public static class RedisResourceBuilderExtensions
{
    public static IResourceBuilder<RedisServerResource> AddRedis(this IDistributedApplicationBuilder builder, LocalPlatform platform, string name)
    {
        var port = platform.PortFor(name);
        var healthCheck = $"{name}-ping";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheck,
            _ => new RedisPingCheck(new RedisEndpoint(LocalPlatform.Host, port)), null, null));
        return builder.AddResource(new RedisServerResource(name, platform.FolderInData(name)))
            .WithFixedEndpoint("tcp", port)
            .WithArgs("--port", port.ToString(CultureInfo.InvariantCulture), "--bind", LocalPlatform.Host, "--save", "", "--appendonly", "no",
                "--protected-mode", "yes")
            .WithHealthCheck(healthCheck);
    }
}

internal sealed class RedisPingCheck(RedisEndpoint endpoint) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await RedisPing.PingAsync(endpoint, cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("no PONG");
}
