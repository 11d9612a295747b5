using System.Globalization;
using CartoSelfHosted.AppHost.Hosting;
using Microsoft.Extensions.DependencyInjection;

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
        // As Aspire's own Redis resource probes it; short timeouts, since the probe runs while the server starts.
        builder.Services.AddHealthChecks().AddRedis(
            $"{LocalPlatform.Host}:{port.ToString(CultureInfo.InvariantCulture)},connectTimeout=250,asyncTimeout=1000", healthCheck);
        return builder.AddResource(new RedisServerResource(name, platform.FolderInData(name)))
            .WithFixedEndpoint("tcp", port)
            .WithArgs("--port", port.ToString(CultureInfo.InvariantCulture), "--bind", LocalPlatform.Host, "--save", "", "--appendonly", "no",
                "--protected-mode", "yes")
            .WithHealthCheck(healthCheck);
    }
}
