using System.Globalization;
using System.Text.Json;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// router-http: nginx in the foreground, configured from <c>Web/RouterHttp/nginx.conf.template</c>, with its pid,
/// logs and temporary files inside <c>.data/router-http/</c>.
/// </summary>
public sealed class NginxResource : TemplatedResource
{
    private const string BrotliModule = "/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so";

    public NginxResource(string name, string templatePath, string staticRoot, int port) : base(name, templatePath)
    {
        StaticRoot = staticRoot;
        Endpoints.Add(new EndpointSpec("http", "http", port, TargetPort: 80));
    }

    /// <summary>The static web content (the web apps' build), relative to the repository root.</summary>
    public string StaticRoot { get; }

    public override string ResourceType => "container.v0";

    /// <summary>Routes to <paramref name="upstream"/>; the router starts after it.</summary>
    public NginxResource WithUpstream<T>(T upstream) where T : Resource, IResourceWithServiceEndpoint
    {
        AddAddressOf(upstream);
        this.WaitFor(upstream);
        return this;
    }

    private string Prefix(RunContext context) => context.ResourceDirectory(Name);

    public override async Task PrepareAsync(RunContext context, CancellationToken cancellationToken)
    {
        var prefix = Prefix(context);
        foreach (var temp in new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" })
        {
            Directory.CreateDirectory(Path.Combine(prefix, "temp", temp));
        }
        var brotli = File.Exists(BrotliModule);
        var local = new Dictionary<string, string>
        {
            // nginx's workers run as the invoking user: the repository (static files) may sit in a home folder that
            // no system user can read.
            ["NGINX_USER"] = context.IsRoot ? "user root root;" : "",
            ["RUNTIME_DIR"] = prefix,
            ["LISTEN_ADDRESS"] = $"{EndpointSpec.Host}:{Endpoint("http").Port.ToString(CultureInfo.InvariantCulture)}",
            ["STATIC_ROOT"] = context.InRepository(StaticRoot),
            // Without Debian's module nginx knows no brotli directive at all, so both lines are left out.
            ["BROTLI_MODULE"] = brotli ? $"load_module {BrotliModule};" : "",
            ["BROTLI"] = brotli
                ? "brotli on; brotli_types application/json application/problem+json application/geo+json application/vnd.mapbox-vector-tile text/csv text/css application/javascript image/svg+xml;"
                : "",
        };
        await RenderAsync(context, local, Path.Combine(prefix, "nginx.conf"), cancellationToken);
    }

    public override ProcessSpec CreateProcessSpec(RunContext context)
    {
        var prefix = Prefix(context);
        return new ProcessSpec("nginx", ["-p", prefix + "/", "-c", Path.Combine(prefix, "nginx.conf"), "-e", "stderr", "-g", "daemon off;"],
            prefix, new Dictionary<string, string>());
    }

    public override Task<HealthState> ProbeAsync(RunContext context, CancellationToken cancellationToken) =>
        Probes.HttpAsync(context, Endpoint("http").Url + "/router-health", cancellationToken);

    public override void WriteManifest(Utf8JsonWriter writer, ManifestContext context)
    {
        writer.WriteString("type", ResourceType);
        writer.WriteString("image", "docker.io/library/nginx:1.27");
        WriteTemplateEnvironment(writer);
        context.WriteBindMount(writer, TemplatePath, "/etc/nginx/templates/nginx.conf.template");
        ManifestContext.WriteBindings(writer, Endpoints, transport: "http");
    }
}

public static class NginxResourceBuilderExtensions
{
    public static NginxResource AddNginx(this DistributedApplicationBuilder builder, string name, string templatePath, string staticRoot) =>
        builder.Add(new NginxResource(name, templatePath, staticRoot, builder.PortFor(name)));
}
