using System.Net;
using System.Net.Sockets;

namespace CartoSelfHosted.TestSupport;

public static class LoopbackPorts
{
    /// <summary>A port nothing listens on right now (the kernel's pick, released at once).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
