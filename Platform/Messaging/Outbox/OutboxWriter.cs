using System.Diagnostics;
using System.Text.Json;
using CartoSelfHosted.Platform.Postgres;
using Npgsql;

namespace CartoSelfHosted.Platform.Messaging.Outbox;

/// <summary>
/// Writes a message into the outbox inside the caller's transaction: it is published if and only if the caller's
/// state change commits. The commit wakes the dispatcher (NOTIFY), so the happy path has no polling delay.
/// </summary>
public static class OutboxWriter
{
    public const string NotificationChannel = "carto_outbox";

    /// <summary>Messages carry references to work, not the work itself: files and results live elsewhere.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    public static async Task<Guid> EnqueueAsync<TMessage>(NpgsqlTransaction transaction, string topic, TMessage message,
        string? orderingKey = null, CancellationToken cancellationToken = default) where TMessage : IMessage
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(message, MessageSerializer.Options);
        if (body.Length > MaxBodyBytes)
        {
            throw new ArgumentException($"A {TMessage.MessageType} message of {body.Length} bytes is over the outbox's {MaxBodyBytes} bytes.", nameof(message));
        }

        var messageId = Guid.CreateVersion7();
        // No messaging.system: which broker carries it is the dispatcher's business, later.
        using var activity = MessagingTelemetry.Source.StartActivity($"{topic} create", ActivityKind.Producer);
        activity?.SetTag("messaging.operation.type", "create");
        activity?.SetTag("messaging.destination.name", topic);
        activity?.SetTag("messaging.message.id", messageId.ToString());
        var attributes = new Dictionary<string, string>();
        MessagingTelemetry.Inject(activity ?? Activity.Current, attributes);

        var connection = transaction.Connection ?? throw new InvalidOperationException("The transaction has completed.");
        // One round trip. Notifications of a transaction are delivered at its commit, and identical ones only once.
        await connection.ExecuteAsync($"""
            WITH written AS (
                INSERT INTO outbox_messages (message_id, topic, message_type, ordering_key, body, attributes)
                VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING 1)
            SELECT pg_notify('{NotificationChannel}', '') FROM written
            """, cancellationToken, messageId, topic, TMessage.MessageType, (object?)orderingKey ?? DBNull.Value, body,
            JsonSerializer.Serialize(attributes));
        return messageId;
    }
}
