using System.Net.Http.Headers;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace CartoSelfHosted.Integration.Tests;

/// <summary>
/// One of the platform's APIs, in process, configured like AppHost configures it but pointed at the test servers,
/// with its own metadata database and a bootstrap (admin) token of the default organization.
/// <typeparamref name="TMarker"/> is any public type of the API's assembly.
/// </summary>
public sealed class ApiFactory<TMarker> : WebApplicationFactory<TMarker> where TMarker : class
{
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly ILoggerProvider? _logs;
    private readonly string _environment;

    private ApiFactory(IReadOnlyDictionary<string, string> settings, ILoggerProvider? logs, string environment) =>
        (_settings, _logs, _environment) = (settings, logs, environment);

    public string BootstrapToken { get; } = ApiTokens.Generate();

    /// <summary>The API's own metadata database, for a test to look at what a request left behind.</summary>
    public string Metadata => _settings["ConnectionStrings:metadata"];

    /// <summary>
    /// Starts the API: its migrations and the bootstrap token are in place before it returns. Its metadata database is
    /// a new one unless <paramref name="settings"/> names one (services that share it, as an API and its worker do).
    /// <paramref name="logs"/>, when given, receives every log entry the API writes, beside its console. With
    /// <paramref name="onLoopbackPort"/> it runs on Kestrel, at <see cref="Address"/>, for a test that puts the router in front.
    /// It runs as a development installation does (what ./run.sh runs) unless <paramref name="environment"/> says otherwise.
    /// </summary>
    public static async Task<ApiFactory<TMarker>> StartAsync(string purpose, IReadOnlyDictionary<string, string>? settings = null,
        ILoggerProvider? logs = null, bool onLoopbackPort = false, string environment = "Development")
    {
        var metadata = settings?.GetValueOrDefault("ConnectionStrings:metadata") ?? await TestServers.CreateDatabaseAsync(purpose);
        await TestServers.MigrateMetadataAsync(metadata);
        var all = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["ConnectionStrings:metadata"] = metadata,
        };
        var factory = new ApiFactory<TMarker>(all, logs, environment);
        if (onLoopbackPort)
        {
            factory.UseKestrel(LoopbackPorts.Free());
            factory.StartServer();
        }
        else
        {
            _ = factory.Server;
        }
        return factory;
    }

    /// <summary>Where the API answers: a loopback port when started on one, else the in-memory test server's address.</summary>
    public Uri Address => ClientOptions.BaseAddress;

    public HttpClient CreateClient(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public HttpClient CreateAuthorizedClient() => CreateClient(BootstrapToken);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        builder.UseSetting("Auth:BootstrapToken", BootstrapToken);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        if (_logs is not null)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(_logs));
        }
    }
}
