using System.Globalization;
using CartoSelfHosted.AppHost.Hosting;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// router-http: nginx in the foreground, configured from <c>Web/RouterHttp/nginx.conf.template</c>, with its pid, logs
/// and temporary files inside <c>.data/router-http/</c>.
/// </summary>
public sealed class NginxResource(string name, string workingDirectory, string templatePath)
    : TemplatedServerResource(name, "/usr/sbin/nginx", workingDirectory, templatePath);

public static class NginxResourceBuilderExtensions
{
    private const string BrotliModule = "/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so";

    public static IResourceBuilder<NginxResource> AddNginx(this IDistributedApplicationBuilder builder, LocalPlatform platform, string name,
        string templatePath, string staticRoot)
    {
        var port = platform.PortFor(name);
        var prefix = platform.FolderInData(name);
        var config = platform.PathInData(name, "nginx.conf");
        return builder.AddResource(new NginxResource(name, prefix, platform.InRepository(templatePath)))
            .WithFixedEndpoint("http", port)
            .WithArgs("-p", platform.PathInData(name), "-c", config, "-e", "stderr", "-g", "daemon off;")
            .OnBeforeResourceStarted((resource, _, cancellationToken) =>
            {
                foreach (var temp in new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" })
                {
                    Directory.CreateDirectory(Path.Combine(prefix, "temp", temp));
                }
                var brotli = File.Exists(BrotliModule);
                return resource.RenderAsync(new Dictionary<string, string>
                {
                    // nginx's workers run as the invoking user: the repository (static files) may sit in a home folder
                    // that no system user can read.
                    ["NGINX_USER"] = LocalPlatform.IsRoot ? "user root root;" : "",
                    ["RUNTIME_DIR"] = prefix,
                    ["LISTEN_ADDRESS"] = $"{LocalPlatform.Host}:{port.ToString(CultureInfo.InvariantCulture)}",
                    ["STATIC_ROOT"] = platform.InRepository(staticRoot),
                    // Without Debian's module nginx knows no brotli directive at all, so both lines are left out.
                    ["BROTLI_MODULE"] = brotli ? $"load_module {BrotliModule};" : "",
                    ["BROTLI"] = brotli
                        ? "brotli on; brotli_types application/json application/problem+json application/geo+json application/vnd.mapbox-vector-tile text/csv text/css application/javascript image/svg+xml;"
                        : "",
                }, config, cancellationToken);
            })
            .WithHttpHealthCheck("/router-health");
    }
}
