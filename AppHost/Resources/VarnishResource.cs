using System.Globalization;
using CartoSelfHosted.AppHost.Hosting;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// http-cache: varnishd in the foreground with the VCL rendered from <c>Web/HttpCache</c>, xkey loaded for purging by
/// surrogate key; its own working folder (<c>-n</c>), which varnishadm and varnishstat take too.
/// </summary>
public sealed class VarnishResource(string name, string workingDirectory, string templatePath)
    : TemplatedServerResource(name, "/usr/sbin/varnishd", workingDirectory, templatePath);

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
                resource.RenderAsync(new Dictionary<string, string>(), config, cancellationToken))
            .WithHttpHealthCheck("/varnish-health");
    }
}
