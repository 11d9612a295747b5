using System.Globalization;
using CartoSelfHosted.AppHost.Hosting;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The Google Cloud Pub/Sub emulator (Debian's google-cloud-cli-pubsub-emulator, Java) as a local process. Services that
/// reference it get <c>PUBSUB_EMULATOR_HOST</c> and <c>PubSub__ProjectId</c>, the keys Google's clients and ours read.
/// </summary>
public sealed class PubSubEmulatorResource(string name, string workingDirectory)
    : ExecutableResource(name, "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator", workingDirectory)
{
    public const string ProjectId = "carto-self-hosted";

    public EndpointReference PrimaryEndpoint => new(this, "http");
}

public static class PubSubEmulatorResourceBuilderExtensions
{
    public static IResourceBuilder<PubSubEmulatorResource> AddPubSubEmulator(this IDistributedApplicationBuilder builder, LocalPlatform platform,
        string name)
    {
        var port = platform.PortFor(name);
        return builder.AddResource(new PubSubEmulatorResource(name, platform.FolderInData(name)))
            .WithFixedEndpoint("http", port)
            .WithArgs($"--host={LocalPlatform.Host}", $"--port={port.ToString(CultureInfo.InvariantCulture)}")
            // About 150 MB instead of the JVM's default share of the machine.
            .WithEnvironment("JAVA_OPTS", "-Xmx256m")
            .WithHttpHealthCheck("/");
    }

    public static IResourceBuilder<T> WithReference<T>(this IResourceBuilder<T> builder, IResourceBuilder<PubSubEmulatorResource> pubsub)
        where T : IResourceWithEnvironment =>
        builder
            .WithEnvironment("PUBSUB_EMULATOR_HOST", ReferenceExpression.Create($"{pubsub.Resource.PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}"))
            .WithEnvironment("PubSub__ProjectId", PubSubEmulatorResource.ProjectId);
}
