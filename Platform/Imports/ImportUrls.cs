using System.Net;
using System.Net.Sockets;

namespace CartoSelfHosted.Platform.Imports;

/// <summary>
/// URL imports without server-side request forgery: http and https only, and — unless
/// <see cref="ImportOptions.AllowPrivateUrls"/> — never an address on loopback, a private or link-local range, or
/// the like. import-api checks a URL when it is submitted; import-worker's client checks every address it connects
/// to (redirects and DNS answers that changed since included).
/// </summary>
public static class ImportUrls
{
    /// <summary>The URL, when it may be fetched; else why not, for the person who gave it.</summary>
    public static async Task<(Uri? Url, string? Problem)> CheckAsync(string url, bool allowPrivate, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return (null, "url must be an absolute http or https URL.");
        }
        if (allowPrivate)
        {
            return (uri, null);
        }
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.IdnHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.IdnHost, cancellationToken);
        }
        catch (SocketException)
        {
            return (null, $"the host {uri.Host} cannot be found.");
        }
        return addresses.All(IsPublic)
            ? (uri, null)
            : (null, $"the host {uri.Host} is on a loopback, private or link-local address, which URL imports may not reach.");
    }

    /// <summary>A client that connects only where <see cref="CheckAsync"/> would allow.</summary>
    public static HttpClient CreateClient(bool allowPrivate, TimeSpan timeout) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 5,
        AutomaticDecompression = DecompressionMethods.All,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
            var allowed = addresses.Where(address => allowPrivate || IsPublic(address)).ToArray();
            if (allowed.Length == 0)
            {
                throw new HttpRequestException(
                    $"the host {context.DnsEndPoint.Host} is on a loopback, private or link-local address, which URL imports may not reach.");
            }
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { Timeout = timeout };

    /// <summary>False for loopback, private (RFC 1918, unique local), link-local, carrier-grade NAT, unspecified and multicast addresses.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return false;
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast);
        }
        var bytes = address.GetAddressBytes();
        return bytes[0] switch
        {
            0 or 10 or 127 => false,
            100 => bytes[1] is < 64 or > 127,
            169 => bytes[1] != 254,
            172 => bytes[1] is < 16 or > 31,
            192 => bytes[1] != 168,
            >= 224 => false,
            _ => true,
        };
    }
}
