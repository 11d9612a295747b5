using System.Net.Sockets;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// A PING on a fresh connection of its own, for a process that holds no <see cref="RedisClient"/> and wants no circuit
/// between it and the answer: AppHost probing the Redis it started.
/// </summary>
public static class RedisPing
{
    private static readonly RedisCommand[] Ping = [new("PING")];

    public static async Task<bool> PingAsync(RedisEndpoint endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = await RedisConnection.ConnectAsync(endpoint, generation: 0, cancellationToken);
            var replies = await connection.ExecuteAsync(Ping, cancellationToken);
            return replies[0] is { Kind: RedisReplyKind.SimpleString, Text: "PONG" };
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
