using System.Globalization;
using System.Text.Json;
using CartoSelfHosted.Platform.Caching;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>Redis as a plain process, in memory only: it is a cache, nothing in it needs to survive a restart.</summary>
public sealed class RedisResource : ExecutableResource, IResourceWithConnectionString
{
    public RedisResource(string name, int port) : base(name) =>
        Endpoints.Add(new EndpointSpec("tcp", "tcp", port, TargetPort: 6379));

    public override string ResourceType => "container.v0";

    public ReferenceExpression ConnectionString => new(
        () => $"{EndpointSpec.Host}:{Endpoint("tcp").Port}",
        $"{{{Name}.bindings.tcp.host}}:{{{Name}.bindings.tcp.port}}");

    public override ProcessSpec CreateProcessSpec(RunContext context) => new(
        "redis-server",
        ["--port", Endpoint("tcp").Port.ToString(CultureInfo.InvariantCulture), "--bind", EndpointSpec.Host, "--save", "",
         "--appendonly", "no", "--protected-mode", "yes"],
        context.ResourceDirectory(Name),
        new Dictionary<string, string>());

    public override async Task<HealthState> ProbeAsync(RunContext context, CancellationToken cancellationToken) =>
        await RedisPing.PingAsync(new RedisEndpoint(EndpointSpec.Host, Endpoint("tcp").Port), cancellationToken)
            ? HealthState.Healthy
            : HealthState.Unhealthy;

    public override void WriteManifest(Utf8JsonWriter writer, ManifestContext context)
    {
        writer.WriteString("type", ResourceType);
        writer.WriteString("connectionString", ConnectionString.Manifest);
        writer.WriteString("image", "docker.io/library/redis:7.4");
        writer.WriteStartArray("args");
        foreach (var argument in new[] { "--save", "", "--appendonly", "no" })
        {
            writer.WriteStringValue(argument);
        }
        writer.WriteEndArray();
        ManifestContext.WriteBindings(writer, Endpoints, transport: "tcp");
    }
}

public static class RedisResourceBuilderExtensions
{
    public static RedisResource AddRedis(this DistributedApplicationBuilder builder, string name) =>
        builder.Add(new RedisResource(name, builder.PortFor(name)));
}
