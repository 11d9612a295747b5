using System.Globalization;
using System.Text.Json;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// http-cache: varnishd in the foreground with the VCL rendered from <c>Web/HttpCache</c>, xkey loaded for purging
/// by surrogate key. Each instance has its own working folder (<c>-n</c>), which varnishadm and varnishstat take too.
/// </summary>
public sealed class VarnishResource : TemplatedResource, IResourceWithServiceEndpoint
{
    public VarnishResource(string name, string templatePath, int port, int adminPort) : base(name, templatePath)
    {
        Endpoints.Add(new EndpointSpec("http", "http", port, TargetPort: 80));
        Endpoints.Add(new EndpointSpec("admin", "tcp", adminPort, TargetPort: 6082));
    }

    public override string ResourceType => "container.v0";

    public VarnishResource WithBackend(ProjectResource backend)
    {
        AddAddressOf(backend);
        this.WaitFor(backend);
        return this;
    }

    private string ConfigPath(RunContext context) => Path.Combine(context.ResourceDirectory(Name), "default.vcl");

    public override async Task PrepareAsync(RunContext context, CancellationToken cancellationToken) =>
        await RenderAsync(context, new Dictionary<string, string>(), ConfigPath(context), cancellationToken);

    public override ProcessSpec CreateProcessSpec(RunContext context)
    {
        var directory = context.ResourceDirectory(Name);
        // fetch_chunksize: a large answer passing through (a query's rows) is copied in 256 KB pieces rather than
        // 16 KB ones; on a 26 MB result that took a third off the time Varnish adds.
        return new ProcessSpec(
            "varnishd",
            ["-F", "-a", $"{EndpointSpec.Host}:{Endpoint("http").Port.ToString(CultureInfo.InvariantCulture)}",
             "-T", $"{EndpointSpec.Host}:{Endpoint("admin").Port.ToString(CultureInfo.InvariantCulture)}",
             "-f", ConfigPath(context), "-n", Path.Combine(directory, "work"), "-s", "malloc,256m", "-j", "none",
             "-p", "fetch_chunksize=256k"],
            directory,
            new Dictionary<string, string>());
    }

    public override Task<HealthState> ProbeAsync(RunContext context, CancellationToken cancellationToken) =>
        Probes.HttpAsync(context, Endpoint("http").Url + "/varnish-health", cancellationToken);

    public override void WriteManifest(Utf8JsonWriter writer, ManifestContext context)
    {
        writer.WriteString("type", ResourceType);
        writer.WriteString("image", "docker.io/library/varnish:7.6");
        WriteTemplateEnvironment(writer);
        context.WriteBindMount(writer, TemplatePath, "/etc/varnish/default.vcl.template");
        ManifestContext.WriteBindings(writer, Endpoints.Where(endpoint => endpoint.Name == "http"), transport: "http");
    }
}

public static class VarnishResourceBuilderExtensions
{
    public static VarnishResource AddVarnish(this DistributedApplicationBuilder builder, string name, string templatePath) =>
        builder.Add(new VarnishResource(name, templatePath, builder.PortFor(name), builder.PortFor(name + "-admin")));
}
