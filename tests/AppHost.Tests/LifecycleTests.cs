using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CartoSelfHosted.AppHost.Hosting;
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
        var dataDirectory = PlatformProcess.NewDataDirectory();
        var ports = PlatformProcess.ResourcePortNames.ToDictionary(name => name, _ => LoopbackPorts.Free());
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
            PlatformProcess.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task KillingAppHostWithSigkillTakesEveryProcessItStartedWithIt()
    {
        var dataDirectory = PlatformProcess.NewDataDirectory();
        var ports = PlatformProcess.ResourcePortNames.ToDictionary(name => name, _ => LoopbackPorts.Free());
        try
        {
            await using var platform = PlatformProcess.Start(dataDirectory, ports);
            await platform.WaitHealthyAsync(StartTimeout);
            var processes = await PlatformProcessesAsync(platform);

            platform.KillAppHost();

            // The kernel's parent-death signal reaches every child at once; the servers then stop as on a plain SIGTERM.
            var stopwatch = Stopwatch.StartNew();
            while (processes.Any(PlatformProcess.IsAlive) && stopwatch.Elapsed < StopTimeout)
            {
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
            Assert.DoesNotContain(processes, PlatformProcess.IsAlive);
            Assert.Empty(ports.Where(port => PlatformProcess.IsListening(port.Value)).Select(port => port.Key));
        }
        finally
        {
            PlatformProcess.DeleteDataDirectory(dataDirectory);
        }
    }

    [Fact]
    public async Task APortInUseStopsTheStartWithAnErrorNamingIt()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        var ports = PlatformProcess.ResourcePortNames.ToDictionary(name => name, _ => LoopbackPorts.Free());
        ports["redis"] = taken;
        var dataDirectory = PlatformProcess.NewDataDirectory();

        await using var platform = PlatformProcess.Start(dataDirectory, ports.ToDictionary(port => port.Key,
            port => port.Value.ToString(CultureInfo.InvariantCulture)));
        await platform.WaitForExitAsync(StopTimeout);

        Assert.Equal(1, platform.ExitCode);
        Assert.Contains($"port {taken} for redis (tcp) is already in use", platform.Output);
        Assert.Contains("--Ports:redis=", platform.Output);
        Assert.False(PlatformProcess.IsListening(ports["postgres"]), "nothing starts when a port is taken");
        PlatformProcess.DeleteDataDirectory(dataDirectory);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("70000")]
    public async Task APortThatIsNotAPortIsAClearError(string port)
    {
        var ports = PlatformProcess.ResourcePortNames.ToDictionary(name => name, _ => LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture));
        ports["maps-api"] = port;
        var dataDirectory = PlatformProcess.NewDataDirectory();

        await using var platform = PlatformProcess.Start(dataDirectory, ports);
        await platform.WaitForExitAsync(StopTimeout);

        Assert.Equal(1, platform.ExitCode);
        Assert.Contains($"--Ports:maps-api={port} is not a port number", platform.Output);
        PlatformProcess.DeleteDataDirectory(dataDirectory);
    }

    private static async Task<(TimeSpan ToHealthy, string DevToken)> StartStopAndCheckNothingIsLeftAsync(
        string dataDirectory, IReadOnlyDictionary<string, int> ports)
    {
        var stopwatch = Stopwatch.StartNew();
        await using var platform = PlatformProcess.Start(dataDirectory, ports);
        await platform.WaitHealthyAsync(StartTimeout);
        var toHealthy = stopwatch.Elapsed;

        var processes = await PlatformProcessesAsync(platform);
        var token = platform.DevToken;

        await platform.InterruptAsync(StopTimeout);

        Assert.True(platform.ExitCode == 0, $"AppHost exited with {platform.ExitCode}:\n{platform.Output}");
        Assert.DoesNotContain(processes, PlatformProcess.IsAlive);
        Assert.Empty(ports.Where(port => PlatformProcess.IsListening(port.Value)).Select(port => port.Key));
        return (toHealthy, token);
    }

    /// <summary>Every process the platform runs: each resource's, and every process those started.</summary>
    private static async Task<List<int>> PlatformProcessesAsync(PlatformProcess platform)
    {
        var pids = (await platform.ResourcesAsync()).Where(resource => resource.Parent is null).Select(resource => resource.Pid!.Value).ToList();
        Assert.All(pids, pid => Assert.True(PlatformProcess.IsAlive(pid), $"resource process {pid} is alive"));
        // Descendants come and go (a PostgreSQL backend ends with its connection): keep those alive at this moment.
        return pids.Concat(pids.SelectMany(ProcessSignals.Descendants).Where(PlatformProcess.IsAlive)).Distinct().ToList();
    }
}
