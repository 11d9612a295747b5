using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.TestSupport;
using Npgsql;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>
/// The platform AppHost runs for a test, on free loopback ports and a data folder of its own, so it can run beside a
/// developer's platform: what every test reaches it through (the router, the dev token, the databases, the logs).
/// </summary>
public abstract class PlatformUnderTest(string dataDirectory, IReadOnlyDictionary<string, int> ports)
{
    public static readonly string[] ResourcePortNames =
    [
        "router-http", "dashboard", "dashboard-otlp", "dashboard-resources", "postgres", "redis", "pubsub", "rabbitmq", "http-cache", "http-cache-admin",
        "accounts-api", "workspace-api", "maps-api", "import-api", "lds-api", "import-worker", "sql-worker", "workspace-subscriber",
        "cdn-invalidator",
    ];

    public static readonly string[] Services =
    [
        "accounts-api", "cdn-invalidator", "import-api", "import-worker", "lds-api", "maps-api", "sql-worker", "workspace-api",
        "workspace-subscriber",
    ];

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public string DataDirectory { get; } = dataDirectory;

    public IReadOnlyDictionary<string, int> Ports { get; } = ports;

    /// <summary>How many processes run each service (AppHost's <c>--Replicas</c>).</summary>
    public int Replicas => 1 + Ports.Keys.Count(name => name.StartsWith(Services[0] + "-", StringComparison.Ordinal));

    public HttpClient Http { get; } = new(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { Timeout = TimeSpan.FromSeconds(30) };

    public Uri Router => new($"http://127.0.0.1:{Ports["router-http"]}");

    public virtual Uri Dashboard => new($"http://127.0.0.1:{Ports["dashboard"]}");

    /// <summary>The page a person opens the dashboard with (AppHost lets the local user in without a login).</summary>
    public virtual Uri DashboardLogin => Dashboard;

    /// <summary>The key the dashboard's telemetry API asks for, if it asks for one.</summary>
    public virtual string? DashboardApiKey => null;

    public string DevToken => File.ReadAllText(Path.Combine(DataDirectory, "dev-token")).Trim();

    /// <summary>What AppHost has said so far, for a failure's message.</summary>
    public abstract string Output { get; }

    /// <summary>A free port for every resource, the services' further replicas (<c>maps-api-2</c>…) among them.</summary>
    public static Dictionary<string, int> FreePorts(int replicas = 1) => ResourcePortNames
        .Concat(Enumerable.Range(2, replicas - 1).SelectMany(replica => Services.Select(service => $"{service}-{replica}")))
        .ToDictionary(name => name, _ => LoopbackPorts.Free());

    public static IEnumerable<string> Arguments(string dataDirectory, IReadOnlyDictionary<string, string> ports) =>
        ports.Select(port => $"--Ports:{port.Key}={port.Value}").Prepend(dataDirectory).Prepend("--data-dir");

    public static Dictionary<string, string> AsArguments(IReadOnlyDictionary<string, int> ports) =>
        ports.ToDictionary(port => port.Key, port => port.Value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Waits until the router answers the platform's health with every service healthy.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var last = "no answer";
        while (deadline.Elapsed < timeout)
        {
            ThrowIfEnded();
            try
            {
                using var response = await Http.GetAsync(new Uri(Router, "/api/v3/health"));
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.IsSuccessStatusCode)
                {
                    var report = await response.Content.ReadFromJsonAsync<JsonElement>();
                    var services = report.GetProperty("services").EnumerateArray().ToList();
                    if (services.Count == Services.Length * Replicas && services.All(service => service.GetProperty("status").GetString() == "Healthy"))
                    {
                        return;
                    }
                }
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"The platform was not healthy within {timeout}: {last}\n{Output}");
    }

    /// <summary>Throws when AppHost is no longer running, with what it said.</summary>
    protected abstract void ThrowIfEnded();

    /// <summary>The platform's PostgreSQL superuser on one of its databases (metadata, warehouse).</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Ports["postgres"],
        Username = "postgres",
        Password = File.ReadAllText(Path.Combine(DataDirectory, "postgres-password")).Trim(),
        Database = database,
    }.ConnectionString;

    /// <summary>Runs SQL in the platform's warehouse as its superuser (to make a table the default organization then owns).</summary>
    public async Task WarehouseAsync(string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString("warehouse"));
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A second API token of the default organization, stored straight in the platform's metadata database.</summary>
    public async Task<string> CreateTokenAsync(string name)
    {
        var token = ApiTokens.Generate();
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString("metadata"));
        await using var command = dataSource.CreateCommand(
            "INSERT INTO api_tokens (organization_id, name, token_hash) VALUES ('00000000-0000-0000-0000-000000000001', $1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = ApiTokens.Hash(token) });
        await command.ExecuteNonQueryAsync();
        return token;
    }

    /// <summary>What a resource has written to its console so far, as AppHost keeps it in the data folder.</summary>
    public string LogOf(string resource) => ReadShared(Path.Combine(DataDirectory, "logs", $"{resource}.log"));

    /// <summary>router-http's access log: W3C extended log files of its own, beside the console logs.</summary>
    public string RouterAccessLog() => string.Concat(Directory.Exists(Path.Combine(DataDirectory, "logs"))
        ? Directory.GetFiles(Path.Combine(DataDirectory, "logs"), "router-http-access-*").Order().Select(ReadShared)
        : []);

    private static string ReadShared(string path)
    {
        if (!File.Exists(path))
        {
            return "";
        }
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd();
    }

    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Removes a test's data folder, if AppHost got as far as making it.</summary>
    public static void DeleteDataDirectory(string dataDirectory)
    {
        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    /// <summary>
    /// A data folder of its own under the system's temporary folder, which every user may enter: PostgreSQL runs as the
    /// postgres user, and the clone the tests run from may sit below a folder it cannot enter.
    /// </summary>
    public static string NewDataDirectory()
    {
        var parent = Path.Combine(Path.GetTempPath(), "carto-apphost-tests");
        Directory.CreateDirectory(parent);
        File.SetUnixFileMode(parent, (UnixFileMode)Convert.ToInt32("755", 8));
        return Path.Combine(parent, Guid.NewGuid().ToString("N")[..12]);
    }
}
