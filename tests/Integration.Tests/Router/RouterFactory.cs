using System.Globalization;
using CartoSelfHosted.RouterHttp.Routing;
using CartoSelfHosted.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CartoSelfHosted.Integration.Tests.Router;

/// <summary>
/// router-http on Kestrel, on a loopback port, configured as AppHost runs it but with every cluster pointed at
/// <see cref="Upstream"/>, except lds-api, which points at a port nothing listens on. It checks the tokens of what
/// goes to the cache in the <paramref name="metadata"/> database (migrated).
/// </summary>
public sealed class RouterFactory(string upstream, string metadata, IReadOnlyDictionary<string, string>? settings = null)
    : WebApplicationFactory<CrossOriginOptions>
{
    public static readonly string NobodyListening = $"http://127.0.0.1:{LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The router's access log, out of the repository.</summary>
    public string AccessLogDirectory { get; } = Directory.CreateTempSubdirectory("router-access-log-").FullName;

    public Uri Start()
    {
        UseKestrel(0);
        StartServer();
        return ClientOptions.BaseAddress;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(AccessLogDirectory, recursive: true);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ReverseProxy:Clusters:http-cache:Destinations:http-cache:Address", upstream);
        builder.UseSetting("ReverseProxy:Clusters:import-api:Destinations:import-api:Address", upstream);
        builder.UseSetting("ReverseProxy:Clusters:accounts-api:Destinations:accounts-api:Address", upstream);
        builder.UseSetting("ReverseProxy:Clusters:maps-api:Destinations:maps-api:Address", upstream);
        builder.UseSetting("ReverseProxy:Clusters:workspace-api:Destinations:workspace-api:Address", upstream);
        builder.UseSetting("ReverseProxy:Clusters:lds-api:Destinations:lds-api:Address", NobodyListening);
        // The SQL route's answers may take long, but not in a test: the cache cluster gives up after 2 s here.
        builder.UseSetting("ReverseProxy:Clusters:http-cache:HttpRequest:ActivityTimeout", "00:00:02");
        builder.UseSetting("AccessLog:Directory", AccessLogDirectory);
        builder.UseSetting("ConnectionStrings:metadata", metadata);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }
    }
}
