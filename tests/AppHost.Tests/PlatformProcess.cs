using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.AppHost.Hosting;
using CartoSelfHosted.Platform.Security;
using Npgsql;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.AppHost.Tests;

public sealed record ResourceState(string Name, string Type, string State, string Health, int? Pid, int Restarts, string? Parent);

/// <summary>
/// AppHost started as a person starts it (the built AppHost.dll, what `dotnet run --project AppHost` runs), on free
/// loopback ports and its own data folder, so it can run beside a developer's platform.
/// </summary>
public sealed class PlatformProcess : IAsyncDisposable
{
    public static readonly string[] ResourcePortNames =
    [
        "router-http", "dashboard", "postgres", "redis", "pubsub", "http-cache", "http-cache-admin", "accounts-api",
        "workspace-api", "maps-api", "import-api", "lds-api", "import-worker", "sql-worker", "workspace-subscriber", "cdn-invalidator",
    ];

    public static readonly string[] Services =
    [
        "accounts-api", "cdn-invalidator", "import-api", "import-worker", "lds-api", "maps-api", "sql-worker", "workspace-api",
        "workspace-subscriber",
    ];

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private PlatformProcess(Process process, string dataDirectory, IReadOnlyDictionary<string, int> ports)
    {
        _process = process;
        DataDirectory = dataDirectory;
        Ports = ports;
        Http = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, line) => Append(line.Data);
        process.ErrorDataReceived += (_, line) => Append(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string DataDirectory { get; }

    public IReadOnlyDictionary<string, int> Ports { get; }

    public HttpClient Http { get; }

    public Uri Router => new($"http://127.0.0.1:{Ports["router-http"]}");

    public Uri Dashboard => new($"http://127.0.0.1:{Ports["dashboard"]}");

    public string DevToken => File.ReadAllText(Path.Combine(DataDirectory, "dev-token")).Trim();

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public int ExitCode => _process.ExitCode;

    public static PlatformProcess Start(string dataDirectory, IReadOnlyDictionary<string, int>? ports = null) =>
        Start(dataDirectory, (ports ?? ResourcePortNames.ToDictionary(name => name, _ => LoopbackPorts.Free()))
            .ToDictionary(port => port.Key, port => port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Starts AppHost with the ports as given on its command line, numbers or not.</summary>
    public static PlatformProcess Start(string dataDirectory, IReadOnlyDictionary<string, string> portArguments)
    {
        var root = RunContext.FindRepositoryRoot();
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        startInfo.ArgumentList.Add(RunContext.BuildOutput(root, "AppHost"));
        startInfo.ArgumentList.Add("--data-dir");
        startInfo.ArgumentList.Add(dataDirectory);
        foreach (var (name, port) in portArguments)
        {
            startInfo.ArgumentList.Add($"--Ports:{name}={port}");
        }
        var ports = portArguments.ToDictionary(port => port.Key,
            port => int.TryParse(port.Value, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : 0);
        return new PlatformProcess(Process.Start(startInfo)!, dataDirectory, ports);
    }

    /// <summary>Waits until the router answers the platform's health with every service healthy.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        string last = "no answer";
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"AppHost exited with {_process.ExitCode}:\n{Output}");
            }
            try
            {
                using var response = await Http.GetAsync(new Uri(Router, "/api/v3/health"));
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.IsSuccessStatusCode)
                {
                    var report = await response.Content.ReadFromJsonAsync<JsonElement>();
                    var services = report.GetProperty("services").EnumerateArray().ToList();
                    if (services.Count == Services.Length && services.All(service => service.GetProperty("status").GetString() == "Healthy"))
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

    public async Task<IReadOnlyList<ResourceState>> ResourcesAsync() =>
        (await Http.GetFromJsonAsync<List<ResourceState>>(new Uri(Dashboard, "/api/resources"), JsonOptions))!;

    public async Task<ResourceState> ResourceAsync(string name) => (await ResourcesAsync()).Single(resource => resource.Name == name);

    public async Task ActAsync(string resource, string action)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Dashboard, $"/api/resources/{resource}/{action}"));
        request.Headers.Add(DashboardApi.ActionHeader, "1");
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Waits for a condition on the dashboard's view of one resource.</summary>
    public async Task<ResourceState> WaitForResourceAsync(string name, Func<ResourceState, bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        ResourceState state;
        do
        {
            state = await ResourceAsync(name);
            if (condition(state))
            {
                return state;
            }
            await Task.Delay(200);
        }
        while (deadline.Elapsed < timeout);
        throw new TimeoutException($"{name} is still {state} after {timeout}");
    }

    /// <summary>What Ctrl+C in a terminal sends.</summary>
    public async Task InterruptAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            ProcessSignals.Send(_process.Id, ProcessSignals.SIGINT);
        }
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            // Which resource held the stop up is in AppHost's output and the resources' logs.
            var stragglers = Directory.EnumerateFiles(Path.Combine(DataDirectory, "logs"))
                .Select(log => (Name: Path.GetFileNameWithoutExtension(log), Lines: File.ReadLines(log).TakeLast(5)))
                .Select(log => $"--- {log.Name}:\n{string.Join('\n', log.Lines)}");
            throw new TimeoutException($"AppHost did not stop within {timeout}. Its output:\n{Output}\n{string.Join('\n', stragglers)}");
        }
    }

    /// <summary>The platform's PostgreSQL superuser on one of its databases (metadata, warehouse).</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Ports["postgres"],
        Username = "postgres",
        Password = File.ReadAllText(Path.Combine(DataDirectory, "postgres-password")).Trim(),
        Database = database,
    }.ConnectionString;

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

    /// <summary>kill -9 of AppHost alone: no chance to stop anything itself.</summary>
    public void KillAppHost()
    {
        ProcessSignals.Send(_process.Id, ProcessSignals.SIGKILL);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await InterruptAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
        }
        Http.Dispose();
        _process.Dispose();
    }

    public static bool IsAlive(int pid) => ProcessSignals.IsAlive(pid);

    /// <summary>kill -9 of one process: what a crash or the OOM killer does to it.</summary>
    public static void Kill9(int pid) => ProcessSignals.Send(pid, ProcessSignals.SIGKILL);

    /// <summary>What a resource has written to its console so far, as AppHost keeps it in the data folder.</summary>
    public string LogOf(string resource) => File.ReadAllText(Path.Combine(DataDirectory, "logs", $"{resource}.log"));

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

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
