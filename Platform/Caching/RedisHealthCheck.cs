using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>Sends a RESP <c>PING</c> and expects <c>+PONG</c>.</summary>
public sealed class RedisHealthCheck(RedisEndpoint endpoint) : IHealthCheck
{
    private static readonly byte[] Ping = "*1\r\n$4\r\nPING\r\n"u8.ToArray();

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var client = new TcpClient();
            await client.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Ping, timeout.Token);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            var reply = Encoding.ASCII.GetString(buffer, 0, read);
            return reply.StartsWith("+PONG", StringComparison.Ordinal)
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(context.Registration.FailureStatus, $"redis answered '{reply.Trim()}'");
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"redis at {endpoint} does not answer", ex);
        }
    }
}

/// <summary>A Redis address in the Aspire connection-string form <c>host:port</c> (options after a comma are ignored).</summary>
public sealed record RedisEndpoint(string Host, int Port)
{
    public static RedisEndpoint Parse(string connectionString)
    {
        var address = connectionString.Split(',')[0].Trim();
        var colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address[(colon + 1)..], out var port)
            ? new RedisEndpoint(address[..colon], port)
            : new RedisEndpoint(address, 6379);
    }

    public override string ToString() => $"{Host}:{Port}";
}
