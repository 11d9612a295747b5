using System.Globalization;
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

    /// <summary>The resources it passes requests to, by the template's prefix for them.</summary>
    public Dictionary<string, EndpointReference> Upstreams { get; } = new(StringComparer.Ordinal);

    public EndpointReference HttpEndpoint => new(this, "http");

    public async Task RenderAsync(IReadOnlyDictionary<string, string> local, string outputPath, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(local, StringComparer.Ordinal);
        foreach (var (prefix, endpoint) in Upstreams)
        {
            values[prefix + "_HOST"] = endpoint.Host;
            values[prefix + "_PORT"] = endpoint.Port.ToString(CultureInfo.InvariantCulture);
        }
        var template = await File.ReadAllTextAsync(TemplatePath, cancellationToken);
        await File.WriteAllTextAsync(outputPath, ConfigTemplate.Render(template, values), cancellationToken);
    }
}

public static class TemplatedServerResourceBuilderExtensions
{
    /// <summary>Passes requests to <paramref name="upstream"/>, and starts once it is healthy.</summary>
    public static IResourceBuilder<T> WithUpstream<T, TUpstream>(this IResourceBuilder<T> builder, IResourceBuilder<TUpstream> upstream)
        where T : TemplatedServerResource
        where TUpstream : IResourceWithEndpoints
    {
        var prefix = ConfigTemplate.PrefixFor(upstream.Resource.Name);
        var endpoint = upstream.Resource.GetEndpoint("http");
        builder.Resource.Upstreams[prefix] = endpoint;
        // The same values in its environment, so that the manifest says what a deployment renders the template with.
        return builder
            .WithEnvironment(prefix + "_HOST", endpoint.Property(EndpointProperty.Host))
            .WithEnvironment(prefix + "_PORT", endpoint.Property(EndpointProperty.Port))
            .WaitFor(builder.ApplicationBuilder.CreateResourceBuilder<IResource>(upstream.Resource));
    }
}
