using System.Globalization;
using System.Text.Json;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// The Google Cloud Pub/Sub emulator (Debian's google-cloud-cli-pubsub-emulator, Java). Services that reference it get
/// <c>PUBSUB_EMULATOR_HOST</c> and <c>PubSub__ProjectId</c>, the keys Google's clients and ours read.
/// </summary>
public sealed class PubSubEmulatorResource : ExecutableResource, IResourceWithEnvironmentReference
{
    private const string DefaultLauncher = "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator";
    public const string ProjectId = "carto-self-hosted";

    public PubSubEmulatorResource(string name, int port) : base(name) =>
        Endpoints.Add(new EndpointSpec("http", "http", port, TargetPort: 8085));

    public override string ResourceType => "container.v0";

    public IEnumerable<(string Key, ReferenceExpression Value)> ReferenceEnvironment =>
    [
        ("PUBSUB_EMULATOR_HOST", new ReferenceExpression(() => $"{EndpointSpec.Host}:{Endpoint("http").Port}",
            $"{{{Name}.bindings.http.host}}:{{{Name}.bindings.http.port}}")),
        ("PubSub__ProjectId", ReferenceExpression.Literal(ProjectId)),
    ];

    public override ProcessSpec CreateProcessSpec(RunContext context) => new(
        context.Configuration["PubSub:EmulatorLauncher"] ?? DefaultLauncher,
        [$"--host={EndpointSpec.Host}", $"--port={Endpoint("http").Port.ToString(CultureInfo.InvariantCulture)}"],
        context.ResourceDirectory(Name),
        // About 150 MB instead of the JVM's default share of the machine.
        new Dictionary<string, string> { ["JAVA_OPTS"] = "-Xmx256m" });

    public override Task<HealthState> ProbeAsync(RunContext context, CancellationToken cancellationToken) =>
        Probes.HttpAsync(context, Endpoint("http").Url + "/", cancellationToken);

    public override void WriteManifest(Utf8JsonWriter writer, ManifestContext context)
    {
        writer.WriteString("type", ResourceType);
        writer.WriteString("image", "gcr.io/google.com/cloudsdktool/google-cloud-cli:emulators");
        writer.WriteStartArray("args");
        foreach (var argument in new[] { "gcloud", "beta", "emulators", "pubsub", "start", "--host-port=0.0.0.0:8085" })
        {
            writer.WriteStringValue(argument);
        }
        writer.WriteEndArray();
        ManifestContext.WriteBindings(writer, Endpoints, transport: "http");
    }
}

public static class PubSubEmulatorResourceBuilderExtensions
{
    public static PubSubEmulatorResource AddPubSubEmulator(this DistributedApplicationBuilder builder, string name) =>
        builder.Add(new PubSubEmulatorResource(name, builder.PortFor(name)));
}
