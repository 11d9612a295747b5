using System.Globalization;
using CartoSelfHosted.AppHost.Hosting;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// http-cache: varnishd in the foreground with the VCL rendered from <c>Web/HttpCache</c>, xkey loaded for purging by
/// surrogate key; its own working folder (<c>-n</c>), which varnishadm and varnishstat take too.
/// </summary>
public sealed class VarnishResource(string name, string workingDirectory, string templatePath)
    : TemplatedServerResource(name, "/usr/sbin/varnishd", workingDirectory, templatePath)
{
    /// <summary>The values of the template's <c>${MAPS_API_BACKENDS}</c> and the like (<see cref="Backends"/>).</summary>
    public Dictionary<string, string> BackendsOfUpstreams() => Upstreams.ToDictionary(
        upstream => upstream.Key + "_BACKENDS",
        upstream => Backends(upstream.Key, upstream.Value.Select(endpoint => (endpoint.Host, endpoint.Port))),
        StringComparer.Ordinal);

    /// <summary>
    /// For the service of <paramref name="prefix"/> (<c>MAPS_API</c>) a backend per replica, watched by the template's
    /// probe <c>alive</c>, and a round-robin director named after it (<c>maps_api</c>) that passes over the sick ones.
    /// (VCL joins the several <c>vcl_init</c> it is given into one.)
    /// </summary>
    public static string Backends(string prefix, IEnumerable<(string Host, int Port)> replicas)
    {
        var director = prefix.ToLowerInvariant();
        var backends = replicas.Select((replica, index) => (Name: $"{director}_{index + 1}", replica.Host, replica.Port)).ToList();
        return string.Concat(backends.Select(backend => $$"""
            backend {{backend.Name}} {
                .host = "{{backend.Host}}";
                .port = "{{backend.Port.ToString(CultureInfo.InvariantCulture)}}";
                .connect_timeout = 2s;
                .first_byte_timeout = 90s;
                .between_bytes_timeout = 90s;
                .probe = alive;
            }

            """)) + $$"""
            sub vcl_init {
                new {{director}} = directors.round_robin();
            {{string.Concat(backends.Select(backend => $"    {director}.add_backend({backend.Name});\n"))}}}
            """;
    }
}

public static class VarnishResourceBuilderExtensions
{
    public static IResourceBuilder<VarnishResource> AddVarnish(this IDistributedApplicationBuilder builder, LocalPlatform platform, string name,
        string templatePath)
    {
        var port = platform.PortFor(name);
        var adminPort = platform.PortFor(name + "-admin");
        var config = platform.PathInData(name, "default.vcl");
        // fetch_chunksize: a large answer passing through (a query's rows) is copied in 256 KB pieces rather than
        // 16 KB ones; on a 26 MB result that took a third off the time Varnish adds.
        // timeout_idle: longer than the router keeps a connection idle in its pool (.NET's default, a minute), so that
        // the router is the one to close it. With Varnish's 5 s, a request the router sent on a connection idle for about
        // 5 s met Varnish closing it, and came back a 502 (a POST is not retried): bench/widgets.sh hit it between passes.
        return builder.AddResource(new VarnishResource(name, platform.FolderInData(name), platform.InRepository(templatePath)))
            .WithFixedEndpoint("http", port)
            .WithFixedEndpoint("admin", adminPort)
            .WithArgs("-F", "-a", $"{LocalPlatform.Host}:{port.ToString(CultureInfo.InvariantCulture)}",
                "-T", $"{LocalPlatform.Host}:{adminPort.ToString(CultureInfo.InvariantCulture)}",
                "-f", config, "-n", platform.PathInData(name, "work"), "-s", "malloc,256m", "-j", "none", "-p", "fetch_chunksize=256k",
                "-p", "timeout_idle=75")
            .OnBeforeResourceStarted((resource, _, cancellationToken) =>
                resource.RenderAsync(resource.BackendsOfUpstreams(), config, cancellationToken))
            .WithHttpHealthCheck("/varnish-health");
    }
}
