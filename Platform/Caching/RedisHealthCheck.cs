using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>Healthy when Redis answers PING; otherwise the registration's failure status (degraded: Redis is optional).</summary>
public sealed class RedisHealthCheck(RedisEndpoint endpoint) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        // No address in the description: the platform health endpoint is public.
        return await RedisPing.PingAsync(endpoint, timeout.Token)
            ? HealthCheckResult.Healthy()
            : new HealthCheckResult(context.Registration.FailureStatus, "redis does not answer");
    }
}

/// <summary>A RESP <c>PING</c> on a fresh connection, expecting <c>+PONG</c>.</summary>
public static class RedisPing
{
    private static readonly byte[] Ping = "*1\r\n$4\r\nPING\r\n"u8.ToArray();

    public static async Task<bool> PingAsync(RedisEndpoint endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(Ping, cancellationToken);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, cancellationToken);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
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
