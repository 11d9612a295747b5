using CartoSelfHosted.AppHost.Hosting;
using CartoSelfHosted.AppHost.Resources;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A server configured from a template kept in <c>Web/</c> (Varnish), rendered just before each start with the values its
/// builder makes of the services it sits in front of (the replicas of each, <see cref="Upstreams"/>) and of this machine.
/// </summary>
public abstract class TemplatedServerResource(string name, string command, string workingDirectory, string templatePath)
    : ExecutableResource(name, command, workingDirectory), IResourceWithServiceDiscovery
{
    public string TemplatePath { get; } = templatePath;

    /// <summary>The services it passes requests to, by the template's prefix for them: the endpoint of each replica.</summary>
    public Dictionary<string, IReadOnlyList<EndpointReference>> Upstreams { get; } = new(StringComparer.Ordinal);

    public EndpointReference HttpEndpoint => new(this, "http");

    public async Task RenderAsync(IReadOnlyDictionary<string, string> values, string outputPath, CancellationToken cancellationToken)
    {
        var template = await File.ReadAllTextAsync(TemplatePath, cancellationToken);
        await File.WriteAllTextAsync(outputPath, ConfigTemplate.Render(template, values), cancellationToken);
    }
}

public static class TemplatedServerResourceBuilderExtensions
{
    /// <summary>Passes requests to the replicas of <paramref name="upstream"/>, and starts once they are healthy.</summary>
    public static IResourceBuilder<T> WithUpstream<T>(this IResourceBuilder<T> builder, PlatformService upstream)
        where T : TemplatedServerResource
    {
        var prefix = ConfigTemplate.PrefixFor(upstream.Name);
        var endpoints = upstream.Replicas.Select(replica => replica.Resource.GetEndpoint("http")).ToList();
        builder.Resource.Upstreams[prefix] = endpoints;
        // The first's address in its environment, so that the manifest says where a deployment's cache finds the service
        // (its replicas behind one address there): the one backend it renders for it (VarnishResource.Backends).
        return builder
            .WithEnvironment(prefix + "_HOST", endpoints[0].Property(EndpointProperty.Host))
            .WithEnvironment(prefix + "_PORT", endpoints[0].Property(EndpointProperty.Port))
            .WaitFor(upstream);
    }
}
