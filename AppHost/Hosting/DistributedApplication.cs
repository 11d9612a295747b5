using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>Every resource of the platform, servers and services, in declaration order (a server's databases after it).</summary>
public sealed class DistributedApplicationModel(IReadOnlyList<Resource> declared)
{
    public IReadOnlyList<Resource> Resources { get; } = declared.SelectMany(resource => resource.Children.Prepend(resource)).ToList();
}

/// <summary>
/// Declares the platform's resources in the shape of an Aspire AppHost builder. Ports are fixed defaults, each
/// overridable with <c>--Ports:&lt;resource&gt;=N</c>; state lives in <c>--data-dir</c> (default <c>.data/</c>).
/// </summary>
public sealed class DistributedApplicationBuilder
{
    private static readonly Dictionary<string, int> DefaultPorts = new(StringComparer.Ordinal)
    {
        ["router-http"] = 8080,
        ["dashboard"] = 18888,
        ["postgres"] = 15432,
        ["redis"] = 16379,
        ["pubsub"] = 18085,
        ["http-cache"] = 16081,
        ["http-cache-admin"] = 16082,
        ["accounts-api"] = 15101,
        ["workspace-api"] = 15102,
        ["maps-api"] = 15103,
        ["import-api"] = 15104,
        ["lds-api"] = 15105,
        ["import-worker"] = 15201,
        ["sql-worker"] = 15202,
        ["workspace-subscriber"] = 15203,
        ["cdn-invalidator"] = 15204,
    };

    private readonly List<Resource> _resources = [];

    private DistributedApplicationBuilder(string[] args)
    {
        Configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables("CARTO_")
            .AddCommandLine(args, new Dictionary<string, string>
            {
                ["--data-dir"] = "DataDirectory",
                ["--publisher"] = "Publishing:Publisher",
                ["--output-path"] = "Publishing:OutputPath",
            })
            .Build();
        var root = RunContext.FindRepositoryRoot();
        var dataDirectory = Path.GetFullPath(Configuration["DataDirectory"] ?? Path.Combine(root, ".data"), root);
        Context = new RunContext(root, dataDirectory, Configuration);
        Args = args;
    }

    public static DistributedApplicationBuilder CreateBuilder(string[] args) => new(args);

    public IConfiguration Configuration { get; }

    public RunContext Context { get; }

    public string[] Args { get; }

    public IReadOnlyList<Resource> Resources => _resources;

    public T Add<T>(T resource) where T : Resource
    {
        if (_resources.Any(existing => existing.Name == resource.Name))
        {
            throw new InvalidOperationException($"A resource named {resource.Name} is declared twice.");
        }
        _resources.Add(resource);
        return resource;
    }

    /// <summary>
    /// Where the services send telemetry: where AppHost itself was told to (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), or else
    /// the dashboard's own OTLP/HTTP receiver, as under Aspire.
    /// </summary>
    public OtlpTarget Telemetry => Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } endpoint
        ? new OtlpTarget(endpoint, Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL"),
            Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_HEADERS"))
        : new OtlpTarget($"http://{EndpointSpec.Host}:{PortFor("dashboard")}", "http/protobuf", null);

    /// <summary>What is wrong with the configuration AppHost was given; reported before anything starts.</summary>
    public List<string> ConfigurationErrors { get; } = [];

    public int PortFor(string name)
    {
        if (Configuration[$"Ports:{name}"] is { } configured)
        {
            if (int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out var chosen) && chosen is > 0 and < 65536)
            {
                return chosen;
            }
            ConfigurationErrors.Add($"--Ports:{name}={configured} is not a port number (1-65535)");
            return DefaultPorts.GetValueOrDefault(name);
        }
        return DefaultPorts.TryGetValue(name, out var port)
            ? port
            : throw new InvalidOperationException($"No default port for {name}: add one to DefaultPorts.");
    }

    /// <summary>A secret generated on the first run (by <paramref name="generate"/>, or 24 random letters and digits) and kept.</summary>
    public ParameterResource AddParameter(string name, bool secret, Func<string>? generate = null) => Add(new ParameterResource(name, secret,
        generate ?? (() => ParameterResource.GenerateAlphanumeric(24)), Context));

    /// <summary>The database whose messaging totals (per subscription, and the outbox) the dashboard shows.</summary>
    public PostgresDatabaseResource? MessagingDatabase { get; private set; }

    public DistributedApplicationBuilder ShowMessagingOf(PostgresDatabaseResource metadata)
    {
        MessagingDatabase = metadata;
        return this;
    }

    public DistributedApplication Build() => new(new DistributedApplicationModel(_resources), this);
}

public sealed class DistributedApplication(DistributedApplicationModel model, DistributedApplicationBuilder builder)
{
    public static DistributedApplicationBuilder CreateBuilder(string[] args) => DistributedApplicationBuilder.CreateBuilder(args);

    public void Run()
    {
        var configuration = builder.Configuration;
        if (configuration["Publishing:Publisher"] is { } publisher)
        {
            if (publisher != "manifest")
            {
                throw new InvalidOperationException($"Unknown publisher '{publisher}': only 'manifest' is supported.");
            }
            ManifestPublisher.Publish(model, builder.Context.RepositoryRoot,
                ManifestOutputPath(configuration["Publishing:OutputPath"]));
            return;
        }

        var dashboardPort = builder.PortFor("dashboard");
        if (builder.ConfigurationErrors.Concat(PortConflicts.Find(model, dashboardPort)).ToList() is { Count: > 0 } errors)
        {
            foreach (var conflict in errors)
            {
                Console.Error.WriteLine($"apphost: error: {conflict}");
            }
            Environment.ExitCode = 1;
            return;
        }

        var web = WebApplication.CreateSlimBuilder(builder.Args);
        web.Configuration.AddConfiguration(configuration);
        web.WebHost.UseUrls($"http://{EndpointSpec.Host}:{dashboardPort}");
        web.Logging.SetMinimumLevel(LogLevel.Warning);
        web.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(60));
        web.Services.AddSingleton(model);
        web.Services.AddSingleton(builder.Context);
        web.Services.AddSingleton<Orchestrator>();
        web.Services.AddSingleton<TraceStore>();
        if (builder.MessagingDatabase is { } messagingDatabase)
        {
            web.Services.AddSingleton(_ => new MessagingView(messagingDatabase));
        }
        web.Services.AddHostedService(services => services.GetRequiredService<Orchestrator>());

        var app = web.Build();
        // Only loopback names: a web page that rebinds its own domain to 127.0.0.1 must not reach the dashboard.
        app.Use((context, next) =>
        {
            if (context.Request.Host.Host is not ("127.0.0.1" or "localhost" or "[::1]"))
            {
                context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                return Task.CompletedTask;
            }
            return next(context);
        });
        app.MapDashboard();
        app.MapOtlpReceiver();

        var endpoints = new PlatformEndpoints(
            model.Resources.OfType<NginxResource>().Single().Endpoint("http").Url,
            $"http://{EndpointSpec.Host}:{dashboardPort}");
        app.Lifetime.ApplicationStarted.Register(() => Announce(endpoints, model));
        app.Run();
    }

    private void Announce(PlatformEndpoints endpoints, DistributedApplicationModel model)
    {
        Directory.CreateDirectory(builder.Context.DataDirectory);
        File.WriteAllText(Path.Combine(builder.Context.DataDirectory, "endpoints.json"),
            JsonSerializer.Serialize(endpoints, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }) + "\n");
        var devToken = model.Resources.OfType<ParameterResource>().Single(parameter => parameter.Name == "dev-token");
        Console.WriteLine($"""
            CartoSelfHosted is starting
              router:     {endpoints.Router}
              dashboard:  {endpoints.Dashboard}
              dev token:  {devToken.Value}   (also in {Path.Combine(builder.Context.DataDirectory, devToken.Name)})
              data:       {builder.Context.DataDirectory}
            Ctrl+C stops everything.
            """);
    }

    /// <summary>
    /// Like Aspire, a relative output path is taken from the AppHost project's folder, so the documented
    /// <c>--output-path ../aspire-manifest.json</c> lands at the repository root wherever the command runs from.
    /// </summary>
    private string ManifestOutputPath(string? outputPath) =>
        Path.GetFullPath(outputPath ?? "../aspire-manifest.json", Path.Combine(builder.Context.RepositoryRoot, "AppHost"));
}

public sealed record PlatformEndpoints(string Router, string Dashboard);

/// <summary>An OTLP destination as the OpenTelemetry SDK's environment variables describe it.</summary>
public sealed record OtlpTarget(string Endpoint, string? Protocol, string? Headers);
