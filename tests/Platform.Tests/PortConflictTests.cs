using System.Net;
using System.Net.Sockets;
using CartoSelfHosted.AppHost.Hosting;

namespace CartoSelfHosted.Platform.Tests;

public sealed class PortConflictTests
{
    [Fact]
    public void APortInUseIsNamedWithItsResourceAndHowToOverrideIt()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        var model = new DistributedApplicationModel([new RedisResource("redis", taken)]);

        var conflicts = DistributedApplication.FindPortConflicts(model, dashboardPort: FreePort());

        var conflict = Assert.Single(conflicts);
        Assert.Contains($"port {taken}", conflict);
        Assert.Contains("redis", conflict);
        Assert.Contains("--Ports:redis=", conflict);
    }

    [Fact]
    public void APortDeclaredTwiceIsAConflict()
    {
        var port = FreePort();
        var model = new DistributedApplicationModel([new RedisResource("redis", port), new RedisResource("other-redis", port)]);

        var conflicts = DistributedApplication.FindPortConflicts(model, dashboardPort: FreePort());

        Assert.Contains(conflicts, conflict => conflict.Contains("redis") && conflict.Contains("other-redis"));
    }

    [Fact]
    public void FreePortsHaveNoConflict() =>
        Assert.Empty(DistributedApplication.FindPortConflicts(
            new DistributedApplicationModel([new RedisResource("redis", FreePort())]), dashboardPort: FreePort()));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
