using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

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

    public override async Task<HealthState> ProbeAsync(RunContext context, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(EndpointSpec.Host, Endpoint("tcp").Port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, cancellationToken);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal)
                ? HealthState.Healthy
                : HealthState.Unhealthy;
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return HealthState.Unhealthy;
        }
    }

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
