using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;

namespace CartoSelfHosted.Platform.Messaging.Subscriber;

/// <summary>
/// Counts what a subscriber did and adds it to the subscription's running totals in the metadata database, about once
/// a second rather than once per message, so counting never slows handling down; and counts it as a metric too.
/// </summary>
internal sealed class SubscriptionStats(string subscription, MetadataDatabase metadata)
{
    private long _handled;
    private long _failed;
    private long _deadLettered;

    public void Handled()
    {
        Interlocked.Increment(ref _handled);
        MessagingTelemetry.CountProcessed(subscription, "handled");
    }

    public void Failed()
    {
        Interlocked.Increment(ref _failed);
        MessagingTelemetry.CountProcessed(subscription, "failed");
    }

    public void DeadLettered()
    {
        Interlocked.Increment(ref _deadLettered);
        MessagingTelemetry.CountProcessed(subscription, "dead_lettered");
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var handled = Interlocked.Exchange(ref _handled, 0);
        var failed = Interlocked.Exchange(ref _failed, 0);
        var deadLettered = Interlocked.Exchange(ref _deadLettered, 0);
        if (handled + failed + deadLettered == 0)
        {
            return;
        }
        try
        {
            await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync("""
                INSERT INTO subscription_stats (subscription, handled, failed, dead_lettered) VALUES ($1, $2, $3, $4)
                ON CONFLICT (subscription) DO UPDATE SET
                    handled = subscription_stats.handled + excluded.handled,
                    failed = subscription_stats.failed + excluded.failed,
                    dead_lettered = subscription_stats.dead_lettered + excluded.dead_lettered,
                    updated_at = now()
                """, cancellationToken, subscription, handled, failed, deadLettered);
        }
        catch
        {
            // Not lost: counted again with the next flush.
            Interlocked.Add(ref _handled, handled);
            Interlocked.Add(ref _failed, failed);
            Interlocked.Add(ref _deadLettered, deadLettered);
            throw;
        }
    }
}
