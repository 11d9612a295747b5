using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Messaging.Subscriber;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CartoSelfHosted.Platform.Messaging.Ping;

/// <summary>
/// The message type every worker handles, for health and tests: it can take its time (<see cref="DelayMilliseconds"/>)
/// or fail on purpose (<see cref="Fail"/>), and leaves a row in <c>message_pings</c> per subscription that handled it.
/// </summary>
public sealed record PingMessage(Guid PingId, Guid OrganizationId, int DelayMilliseconds = 0, bool Fail = false) : IMessage
{
    public static string MessageType => "ping";

    public const int MaxDelayMilliseconds = 600_000;
}

public sealed class PingHandler(ILogger<PingHandler> logger) : IMessageHandler<PingMessage>
{
    public async Task HandleAsync(PingMessage message, MessageContext context, CancellationToken cancellationToken)
    {
        if (message.DelayMilliseconds > 0)
        {
            // Says that this worker now holds the ping, which a test waits for before it kills the worker.
            logger.LogInformation("Started ping {PingId} on attempt {DeliveryAttempt}: it takes {Delay} ms", message.PingId,
                context.DeliveryAttempt, message.DelayMilliseconds);
            await Task.Delay(Math.Min(message.DelayMilliseconds, PingMessage.MaxDelayMilliseconds), cancellationToken);
        }
        if (message.Fail)
        {
            throw new InvalidOperationException("the ping asked to fail");
        }
        // Counted rather than kept unique, so a handler that ran twice would show.
        await context.Connection.ExecuteAsync("""
            INSERT INTO message_pings (ping_id, subscription, organization_id, delivery_attempt, trace_id)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (ping_id, subscription) DO UPDATE SET
                handled_count = message_pings.handled_count + 1, delivery_attempt = excluded.delivery_attempt, handled_at = now()
            """, cancellationToken, message.PingId, context.Subscription, message.OrganizationId, context.DeliveryAttempt,
            (object?)System.Diagnostics.Activity.Current?.TraceId.ToHexString() ?? DBNull.Value);
    }
}

/// <summary>A ping handled by one subscription.</summary>
public sealed record PingDelivery(string Subscription, int HandledCount, int DeliveryAttempt, string? TraceId, DateTimeOffset HandledAt);

public static class Pings
{
    /// <summary>Puts one ping per topic into the outbox, in the caller's transaction.</summary>
    public static async Task PublishAsync(NpgsqlTransaction transaction, PingMessage ping, IEnumerable<string> topics,
        CancellationToken cancellationToken)
    {
        foreach (var topic in topics)
        {
            await OutboxWriter.EnqueueAsync(transaction, topic, ping, cancellationToken: cancellationToken);
        }
    }

    public static async Task<IReadOnlyList<PingDelivery>> ReadDeliveriesAsync(NpgsqlDataSource metadata, Guid pingId, Guid organizationId,
        CancellationToken cancellationToken)
    {
        await using var command = metadata.CreateCommand("""
            SELECT subscription, handled_count, delivery_attempt, trace_id, handled_at FROM message_pings
            WHERE ping_id = $1 AND organization_id = $2 ORDER BY subscription
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = pingId });
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var deliveries = new List<PingDelivery>();
        while (await reader.ReadAsync(cancellationToken))
        {
            deliveries.Add(new PingDelivery(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }
        return deliveries;
    }
}
