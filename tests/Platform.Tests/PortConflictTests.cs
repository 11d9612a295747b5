using System.Net;
using System.Net.Sockets;
using CartoSelfHosted.AppHost.Hosting;
using CartoSelfHosted.TestSupport;

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

        var conflicts = PortConflicts.Find(model, dashboardPort: LoopbackPorts.Free());

        var conflict = Assert.Single(conflicts);
        Assert.Contains($"port {taken}", conflict);
        Assert.Contains("redis", conflict);
        Assert.Contains("--Ports:redis=", conflict);
    }

    [Fact]
    public void APortDeclaredTwiceIsAConflict()
    {
        var port = LoopbackPorts.Free();
        var model = new DistributedApplicationModel([new RedisResource("redis", port), new RedisResource("other-redis", port)]);

        var conflicts = PortConflicts.Find(model, dashboardPort: LoopbackPorts.Free());

        Assert.Contains(conflicts, conflict => conflict.Contains("redis") && conflict.Contains("other-redis"));
    }

    [Fact]
    public void FreePortsHaveNoConflict() =>
        Assert.Empty(PortConflicts.Find(
            new DistributedApplicationModel([new RedisResource("redis", LoopbackPorts.Free())]), dashboardPort: LoopbackPorts.Free()));
}
