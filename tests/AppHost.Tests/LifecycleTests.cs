using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>Starting, stopping and starting again: nothing is left behind, and what should be kept is kept.</summary>
public sealed class LifecycleTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task CtrlCLeavesNoProcessAndASecondStartReusesTheDataFolder()
    {
        var dataDirectory = PlatformUnderTest.NewDataDirectory();
        var ports = PlatformUnderTest.FreePorts();
        try
        {
            var (cold, firstToken) = await StartStopAndCheckNothingIsLeftAsync(dataDirectory, ports);
            var pgVersion = Path.Combine(dataDirectory, "postgres", "data", "PG_VERSION");
            var initializedAt = File.GetLastWriteTimeUtc(pgVersion);

            var (warm, secondToken) = await StartStopAndCheckNothingIsLeftAsync(dataDirectory, ports);
            Assert.Equal(firstToken, secondToken);
            Assert.Equal(initializedAt, File.GetLastWriteTimeUtc(pgVersion));

            Directory.Delete(dataDirectory, recursive: true);
            var (clean, thirdToken) = await StartStopAndCheckNothingIsLeftAsync(dataDirectory, ports);
            Assert.NotEqual(firstToken, thirdToken);

            TestContext.Current.SendDiagnosticMessage(
                $"to healthy: cold {cold.TotalSeconds:F1} s, warm {warm.TotalSeconds:F1} s, clean again {clean.TotalSeconds:F1} s");
        }
        finally
        {
            PlatformUnderTest.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task KillingAppHostWithSigkillTakesEveryProcessItStartedWithIt()
    {
        var dataDirectory = PlatformUnderTest.NewDataDirectory();
        var ports = PlatformUnderTest.FreePorts();
        try
        {
            await using var platform = PlatformProcess.Start(dataDirectory, ports);
            await platform.WaitHealthyAsync(StartTimeout);
            var processes = PlatformProcesses(platform);

            platform.KillAppHost();

            // DCP watches AppHost's process: once it is gone, DCP stops every resource, then itself.
            await WaitUntilStoppedAsync(processes);
            Assert.Empty(ports.Where(port => PlatformUnderTest.IsListening(port.Value)).Select(port => port.Key));
        }
        finally
        {
            PlatformUnderTest.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task APortInUseStopsTheStartWithAnErrorNamingIt()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        var ports = PlatformUnderTest.FreePorts();
        ports["redis"] = taken;
        var dataDirectory = PlatformUnderTest.NewDataDirectory();

        await using var platform = PlatformProcess.Start(dataDirectory, ports.ToDictionary(port => port.Key,
            port => port.Value.ToString(CultureInfo.InvariantCulture)));
        await platform.WaitForExitAsync(StopTimeout);

        Assert.Equal(1, platform.ExitCode);
        Assert.Contains($"port {taken} for redis (tcp) is already in use", platform.Output);
        Assert.Contains("--Ports:redis=", platform.Output);
        Assert.False(PlatformUnderTest.IsListening(ports["postgres"]), "nothing starts when a port is taken");
        PlatformUnderTest.DeleteDataDirectory(dataDirectory);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("70000")]
    public async Task APortThatIsNotAPortIsAClearError(string port)
    {
        var ports = PlatformUnderTest.AsArguments(PlatformUnderTest.FreePorts());
        ports["maps-api"] = port;
        var dataDirectory = PlatformUnderTest.NewDataDirectory();

        await using var platform = PlatformProcess.Start(dataDirectory, ports);
        await platform.WaitForExitAsync(StopTimeout);

        Assert.Equal(1, platform.ExitCode);
        Assert.Contains($"--Ports:maps-api={port} is not a port number", platform.Output);
        PlatformUnderTest.DeleteDataDirectory(dataDirectory);
    }

    private static async Task<(TimeSpan ToHealthy, string DevToken)> StartStopAndCheckNothingIsLeftAsync(
        string dataDirectory, IReadOnlyDictionary<string, int> ports)
    {
        var stopwatch = Stopwatch.StartNew();
        await using var platform = PlatformProcess.Start(dataDirectory, ports);
        await platform.WaitHealthyAsync(StartTimeout);
        var toHealthy = stopwatch.Elapsed;

        var processes = PlatformProcesses(platform);
        // Known now, while their command lines can be read: a process that is exiting has none left.
        var dcp = processes.Where(IsDcp).ToHashSet();
        var token = platform.DevToken;
        // What run.sh promises: the router and the dashboard where endpoints.json says, the dashboard open to the local user.
        var endpoints = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dataDirectory, "endpoints.json"))).RootElement;
        Assert.Equal(platform.Router.ToString().TrimEnd('/'), endpoints.GetProperty("router").GetString());
        Assert.Equal(platform.Dashboard.ToString().TrimEnd('/'), endpoints.GetProperty("dashboard").GetString());
        using (var dashboard = await platform.Http.GetAsync(platform.Dashboard))
        {
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        }
        Assert.Contains($"dev token:  {token}", platform.Output);

        await platform.InterruptAsync(StopTimeout);

        Assert.True(platform.ExitCode == 0, $"AppHost exited with {platform.ExitCode}:\n{platform.Output}");
        // Every resource has stopped before AppHost exits (DcpPublisher:WaitForResourceCleanup); DCP itself notices a
        // moment later that the process it monitors is gone, and exits too.
        var resources = LeftRunning(processes.Where(pid => !dcp.Contains(pid)));
        Assert.True(resources.Count == 0, "left running after AppHost exited:\n" + string.Join("\n", resources));
        await WaitUntilStoppedAsync(processes);
        Assert.Empty(ports.Where(port => PlatformUnderTest.IsListening(port.Value)).Select(port => port.Key));
        return (toHealthy, token);
    }

    private static async Task WaitUntilStoppedAsync(List<int> processes)
    {
        var stopwatch = Stopwatch.StartNew();
        while (processes.Any(ProcessSignals.IsAlive) && stopwatch.Elapsed < StopTimeout)
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        var left = LeftRunning(processes);
        Assert.True(left.Count == 0, $"left running {StopTimeout} after AppHost exited:\n" + string.Join("\n", left));
        TestContext.Current.SendDiagnosticMessage($"every process gone {stopwatch.Elapsed.TotalSeconds:F1} s after AppHost");
    }

    private static List<string> LeftRunning(IEnumerable<int> processes) =>
        processes.Where(ProcessSignals.IsAlive).Select(pid => $"{pid}: {ProcessSignals.CommandLine(pid)}").ToList();

    /// <summary>DCP's own processes (its API server and its controllers), by their executable.</summary>
    private static bool IsDcp(int pid) => ProcessSignals.CommandLine(pid).Split(' ')[0].EndsWith("/dcp", StringComparison.Ordinal);

    private static bool IsOrchestrator(int pid, PlatformProcess platform) =>
        ProcessSignals.CommandLine(pid).Contains($"--monitor {platform.Pid} ", StringComparison.Ordinal);

    /// <summary>
    /// Every process the platform runs: AppHost's, Aspire's orchestrator (DCP, which watches AppHost's process) and
    /// everything those started — each resource's process, and theirs.
    /// </summary>
    private static List<int> PlatformProcesses(PlatformProcess platform)
    {
        var orchestrator = Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => int.Parse(name!, CultureInfo.InvariantCulture))
            .Where(pid => IsOrchestrator(pid, platform));
        List<int> roots = [platform.Pid, .. orchestrator];
        // Descendants come and go (a PostgreSQL backend ends with its connection): keep those alive at this moment.
        var processes = roots.Concat(roots.SelectMany(ProcessSignals.Descendants)).Where(ProcessSignals.IsAlive).Distinct().ToList();
        foreach (var server in new[] { "postgres", "redis-server", "varnishd", "pubsub-emulator", "MapsApi", "RouterHttp" })
        {
            Assert.Contains(processes, pid => ProcessSignals.CommandLine(pid).Contains(server, StringComparison.Ordinal));
        }
        // The services run from their built assemblies, with no `dotnet run` wrapper evaluating their projects.
        Assert.Contains(processes, pid => ProcessSignals.CommandLine(pid).Contains("exec ", StringComparison.Ordinal)
            && ProcessSignals.CommandLine(pid).EndsWith("MapsApi.dll", StringComparison.Ordinal));
        Assert.DoesNotContain(processes, pid => ProcessSignals.CommandLine(pid).StartsWith("dotnet run", StringComparison.Ordinal));
        return processes;
    }
}
