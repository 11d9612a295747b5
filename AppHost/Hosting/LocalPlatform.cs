using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// What running the platform on one machine needs beyond Aspire's defaults: a data folder (<c>--data-dir</c>, default
/// <c>.data/</c>) for state and secrets, fixed loopback ports (each movable with <c>--Ports:&lt;resource&gt;=N</c>), the
/// dashboard on plain HTTP for the local user alone, crashed resources restarted, and the URLs a person needs printed.
/// </summary>
public sealed class LocalPlatform
{
    public const string Host = "127.0.0.1";

    public const string ReplicasSetting = "Replicas";

    /// <summary>What one machine holds; a larger installation runs its replicas on more machines (README, Deployment).</summary>
    public const int MaxReplicas = 4;

    private static readonly Dictionary<string, int> DefaultPorts = new(StringComparer.Ordinal)
    {
        ["router-http"] = 8080,
        ["dashboard"] = 18888,
        ["dashboard-otlp"] = 18889,
        ["dashboard-resources"] = 18890,
        ["postgres"] = 15432,
        ["redis"] = 16379,
        ["pubsub"] = 18085,
        // AMQP's 5672 moved as the others are; 15672 is RabbitMQ's management UI.
        ["rabbitmq"] = 15673,
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

    private readonly IDistributedApplicationBuilder _builder;
    private readonly List<string> _settingErrors = [];
    private readonly Dictionary<string, int> _ports = new(StringComparer.Ordinal);

    private LocalPlatform(IDistributedApplicationBuilder builder)
    {
        _builder = builder;
        RepositoryRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
        DataDirectory = Path.GetFullPath(builder.Configuration["data-dir"] ?? Path.Combine(RepositoryRoot, ".data"), RepositoryRoot);
        Replicas = ReplicasOf(builder.Configuration[ReplicasSetting]);
    }

    public string RepositoryRoot { get; }

    public string DataDirectory { get; }

    public bool IsPublishing => _builder.ExecutionContext.IsPublishMode;

    /// <summary>Servers that refuse to run as root (PostgreSQL) are started as their own system user when this is true.</summary>
    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Whether a server that refuses root must be started as its own system user, here; never in the manifest,
    /// which reads the same whoever writes it.</summary>
    public bool RunsServersAsTheirUsers => IsRoot && !IsPublishing;

    public static LocalPlatform AddLocalPlatform(IDistributedApplicationBuilder builder)
    {
        var platform = new LocalPlatform(builder);
        var dashboard = $"http://{Host}:{platform.PortFor("dashboard")}";
        // No development certificate exists on a fresh machine, so the dashboard serves plain HTTP, on loopback only,
        // and lets the local user in without a login token.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = dashboard,
            ["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = $"http://{Host}:{platform.PortFor("dashboard-otlp")}",
            ["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://{Host}:{platform.PortFor("dashboard-resources")}",
            ["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
            ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
            // Ctrl+C returns once DCP has stopped every resource, so a start right after finds its ports free
            // (without it DCP stops them after AppHost has exited).
            ["DcpPublisher:WaitForResourceCleanup"] = "true",
        });
        if (!platform.IsPublishing)
        {
            CrashedResourceRestarter.Register(builder);
            ServicesStopFirst.Register(builder);
            ResourceLogFiles.Register(builder, platform.LogsFolder);
        }
        return platform;
    }

    /// <summary>The resource's port on this machine: its default, or what <c>--Ports:&lt;name&gt;</c> says.</summary>
    public int PortFor(string name)
    {
        if (_ports.TryGetValue(name, out var known))
        {
            return known;
        }
        var port = DefaultPortOf(name);
        if (_builder.Configuration[$"Ports:{name}"] is { } configured)
        {
            if (int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out var chosen) && chosen is > 0 and < 65536)
            {
                port = chosen;
            }
            else
            {
                _settingErrors.Add($"--Ports:{name}={configured} is not a port number (1-65535)");
            }
        }
        return _ports[name] = port;
    }

    /// <summary>A resource's default port; a service's replica <c>&lt;name&gt;-N</c> is on its first's port plus 1000 × (N − 1).</summary>
    private static int DefaultPortOf(string name)
    {
        if (DefaultPorts.TryGetValue(name, out var port))
        {
            return port;
        }
        var dash = name.LastIndexOf('-');
        if (dash > 0 && int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var replica)
            && replica is >= 2 and <= MaxReplicas && DefaultPorts.TryGetValue(name[..dash], out var first))
        {
            return first + 1000 * (replica - 1);
        }
        throw new InvalidOperationException($"No default port for {name}: add one to DefaultPorts.");
    }

    /// <summary>
    /// How many processes run each API and worker (<c>--Replicas=N</c>, 1 by default, at most <see cref="MaxReplicas"/>):
    /// the platform scales out by adding them, since its services keep their state in the databases and the broker.
    /// </summary>
    public int Replicas { get; }

    private int ReplicasOf(string? configured)
    {
        if (configured is null)
        {
            return 1;
        }
        if (int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out var replicas) && replicas is >= 1 and <= MaxReplicas)
        {
            return replicas;
        }
        _settingErrors.Add($"--{ReplicasSetting}={configured} is not a number of replicas (1-{MaxReplicas})");
        return 1;
    }

    /// <summary>A folder of the data folder, made on first use; relative to the repository in the manifest, which
    /// must read the same on every machine.</summary>
    public string PathInData(params string[] parts)
    {
        if (IsPublishing)
        {
            return Path.Combine([".data", .. parts]);
        }
        var path = Path.Combine([DataDirectory, .. parts]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>
    /// A resource's own folder of the data folder (its working directory), made on first use. The manifest writes it
    /// relative to the repository, as it writes the paths of <see cref="PathInData"/>.
    /// </summary>
    public string FolderInData(string name) => IsPublishing
        ? Path.Combine(RepositoryRoot, ".data", name)
        : Directory.CreateDirectory(Path.Combine(DataDirectory, name)).FullName;

    /// <summary>Where every resource's console output is kept (and the router's access log).</summary>
    public string LogsFolder => Path.Combine(DataDirectory, "logs");

    public string InRepository(string relativePath) => Path.GetFullPath(Path.Combine(RepositoryRoot, relativePath));

    /// <summary>
    /// A secret generated on the first run and kept in <c>.data/&lt;name&gt;</c> (readable by its owner only), handed to
    /// Aspire as the parameter's configured value. The manifest asks a deployment to generate its own.
    /// </summary>
    public IResourceBuilder<ParameterResource> AddSecret(string name, Func<string>? generate = null)
    {
        if (!IsPublishing)
        {
            _builder.Configuration[$"Parameters:{name}"] = SecretFile.LoadOrCreate(Path.Combine(DataDirectory, name),
                generate ?? (() => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 24)));
        }
        return _builder.AddParameter(name, new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true);
    }

    /// <summary>
    /// Object storage as a connection string: here a folder of the data folder, unless AppHost's configuration names a
    /// store (<c>ConnectionStrings__object-storage=s3://…</c>, see Platform/ObjectStorage); a deployment names its own.
    /// </summary>
    public IResourceBuilder<IResourceWithConnectionString> AddObjectStorage(string name)
    {
        if (!IsPublishing)
        {
            _builder.Configuration[$"ConnectionStrings:{name}"] ??= FolderInData(name);
        }
        return _builder.AddConnectionString(name);
    }

    /// <summary>
    /// Says why the platform cannot start here — a port that is not a number, or one already in use — before anything
    /// starts; true when it can.
    /// </summary>
    public bool CanStart()
    {
        if (IsPublishing)
        {
            return true;
        }
        var errors = _settingErrors.Concat(_ports
            .Where(port => !IsFree(port.Value))
            .Select(port => $"port {port.Value} for {port.Key} (tcp) is already in use: stop what holds it, or move {port.Key} with --Ports:{port.Key}=<free port>"))
            .ToList();
        foreach (var error in errors)
        {
            Console.Error.WriteLine($"apphost: error: {error}");
        }
        return errors.Count == 0;
    }

    /// <summary>Prints where the platform answers and writes <c>.data/endpoints.json</c>, once the resources are starting.</summary>
    public void AnnounceOnStart(IResourceBuilder<IResourceWithEndpoints> router, IResourceBuilder<ParameterResource> devToken)
    {
        _builder.Eventing.Subscribe<BeforeStartEvent>(async (_, cancellationToken) =>
        {
            var endpoints = new PlatformEndpoints($"http://{Host}:{PortFor(router.Resource.Name)}", $"http://{Host}:{PortFor("dashboard")}");
            Directory.CreateDirectory(DataDirectory);
            await File.WriteAllTextAsync(Path.Combine(DataDirectory, "endpoints.json"),
                JsonSerializer.Serialize(endpoints, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }) + "\n",
                cancellationToken);
            Console.WriteLine($"""
                CartoSelfHosted is starting
                  router:     {endpoints.Router}
                  dashboard:  {endpoints.Dashboard}
                  dev token:  {await devToken.Resource.GetValueAsync(cancellationToken)}   (also in {Path.Combine(DataDirectory, devToken.Resource.Name)})
                  data:       {DataDirectory}
                Ctrl+C stops everything.
                """);
        });
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Parse(Host), port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

public sealed record PlatformEndpoints(string Router, string Dashboard);
