using System.Globalization;
using CartoSelfHosted.AppHost.Hosting;
using CartoSelfHosted.AppHost.Resources;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A server configured from a template kept in <c>Web/</c> (nginx, Varnish), rendered just before each start with the
/// addresses of the services it sits in front of (<c>${MAPS_API_HOST}</c>, <c>${MAPS_API_PORT}</c>…) and the values of
/// this machine its builder adds.
/// </summary>
public abstract class TemplatedServerResource(string name, string command, string workingDirectory, string templatePath)
    : ExecutableResource(name, command, workingDirectory), IResourceWithServiceDiscovery
{
    public string TemplatePath { get; } = templatePath;

    /// <summary>The services it passes requests to, by the template's prefix for them: the endpoint of each replica.</summary>
    public Dictionary<string, IReadOnlyList<EndpointReference>> Upstreams { get; } = new(StringComparer.Ordinal);

    public EndpointReference HttpEndpoint => new(this, "http");

    public async Task RenderAsync(IReadOnlyDictionary<string, string> local, string outputPath, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(local, StringComparer.Ordinal);
        foreach (var (prefix, replicas) in Upstreams)
        {
            values[prefix + "_HOST"] = replicas[0].Host;
            values[prefix + "_PORT"] = replicas[0].Port.ToString(CultureInfo.InvariantCulture);
        }
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
        // The first's values in its environment, so that the manifest says what a deployment renders the template with
        // (where the service's replicas are behind one address of their own).
        return builder
            .WithEnvironment(prefix + "_HOST", endpoints[0].Property(EndpointProperty.Host))
            .WithEnvironment(prefix + "_PORT", endpoints[0].Property(EndpointProperty.Port))
            .WaitFor(upstream);
    }
}
