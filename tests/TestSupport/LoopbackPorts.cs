using System.Net;
using System.Net.Sockets;

namespace CartoSelfHosted.TestSupport;

public static class LoopbackPorts
{
    private static readonly HashSet<int> HandedOut = [];
    private static readonly int EphemeralStart = ReadEphemeralStart();

    /// <summary>
    /// A port nothing listens on, below the kernel's ephemeral range: a port the kernel picks for a listener at
    /// random is also one it may give any outgoing connection (a test's database client) before the server that was
    /// meant to have it binds it. Never the same port twice in one test run.
    /// </summary>
    public static int Free()
    {
        lock (HandedOut)
        {
            while (true)
            {
                var port = Random.Shared.Next(10_000, EphemeralStart);
                if (HandedOut.Contains(port))
                {
                    continue;
                }
                try
                {
                    using var listener = new TcpListener(IPAddress.Loopback, port);
                    listener.Start();
                }
                catch (SocketException)
                {
                    continue;
                }
                HandedOut.Add(port);
                return port;
            }
        }
    }

    private static int ReadEphemeralStart()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])[' ', '\t'],
                StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }
}
