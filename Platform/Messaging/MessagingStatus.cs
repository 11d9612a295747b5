using Npgsql;

namespace CartoSelfHosted.Platform.Messaging;

public sealed record SubscriptionStatus(string Subscription, long Handled, long Failed, long DeadLettered, DateTimeOffset? UpdatedAt);

public sealed record OutboxStatus(long Pending, DateTimeOffset? OldestPendingAt);

public sealed record MessagingStatus(IReadOnlyList<SubscriptionStatus> Subscriptions, OutboxStatus Outbox)
{
    /// <summary>Totals per subscription of the platform (zero before its first message) and what waits in the outbox.</summary>
    public static async Task<MessagingStatus> ReadAsync(NpgsqlDataSource metadata, CancellationToken cancellationToken)
    {
        await using var batch = metadata.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT name, coalesce(s.handled, 0), coalesce(s.failed, 0), coalesce(s.dead_lettered, 0), s.updated_at
            FROM unnest($1::text[]) WITH ORDINALITY AS platform (name, position)
            LEFT JOIN subscription_stats s ON s.subscription = platform.name
            ORDER BY position
            """) { Parameters = { new() { Value = Topology.MessagingTopology.AllSubscriptions.Select(s => s.Name).ToArray() } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT count(*), min(created_at) FROM outbox_messages WHERE sent_at IS NULL"));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var subscriptions = new List<SubscriptionStatus>();
        while (await reader.ReadAsync(cancellationToken))
        {
            subscriptions.Add(new SubscriptionStatus(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
        }
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var outbox = new OutboxStatus(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1));
        return new MessagingStatus(subscriptions, outbox);
    }
}
