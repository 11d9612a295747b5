using System.Diagnostics;
using System.Text.Json;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;

namespace CartoSelfHosted.Platform.Messaging.Outbox;

/// <summary>
/// Publishes the outbox's pending rows in id order and marks them sent. One dispatcher at a time holds the outbox (a
/// session advisory lock), so rows leave in the order they were written even with several services running one; the
/// others stand by and take over when its session ends. A crash between publish and marking re-sends the rows: the
/// message ids stay the same and the subscribers' inbox drops the copies.
/// </summary>
public sealed class OutboxDispatcher(MetadataDatabase metadata, IMessageBroker broker, ILogger<OutboxDispatcher> logger) : BackgroundService
{
    // An arbitrary constant that names "the outbox's dispatcher" among the database's advisory locks.
    private const long DispatcherLockKey = 0x6361_7274_6f6f_7574;
    private const int BatchSize = 1000;

    /// <summary>Without a notification (one lost while reconnecting, say) the outbox is still looked at this often.</summary>
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StandbyPoll = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SentRetention = TimeSpan.FromDays(1);
    private static readonly TimeSpan FirstPublishRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LastPublishRetry = TimeSpan.FromSeconds(5);

    private volatile bool _notified = true;
    private DateTimeOffset _nextCleanup = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await metadata.DataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => _notified = true;
                await connection.ExecuteAsync($"LISTEN {OutboxWriter.NotificationChannel}", stoppingToken);
                while (!await TryLeadAsync(connection, stoppingToken))
                {
                    await Task.Delay(StandbyPoll, stoppingToken);
                }
                logger.LogInformation("Dispatching the outbox");
                await LeadAsync(connection, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A lost connection, most likely; whatever it was, the leadership goes with the session and is taken again.
                logger.LogWarning(ex, "The outbox dispatcher failed ({Reason}); starting again in {Delay} s", ex.Message, StandbyPoll.TotalSeconds);
                await Task.Delay(StandbyPoll, stoppingToken);
            }
        }
    }

    private async Task LeadAsync(NpgsqlConnection connection, CancellationToken stoppingToken)
    {
        var failures = 0;
        _notified = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!_notified)
            {
                await connection.WaitAsync(IdlePoll, stoppingToken);
            }
            _notified = false;
            try
            {
                // Until the outbox is empty: a full batch means more may be waiting.
                int dispatched;
                do
                {
                    dispatched = await DispatchBatchAsync(connection, stoppingToken);
                }
                while (dispatched == BatchSize);
                failures = 0;
            }
            catch (PublishFailedException ex)
            {
                // The rows stay pending, in order; they go once the broker takes them again.
                failures++;
                var delay = Backoff.Delay(failures, FirstPublishRetry, LastPublishRetry);
                logger.LogWarning("The outbox waits {Delay} ms before publishing again: {Reason}", delay.TotalMilliseconds, ex.Message);
                await Task.Delay(delay, stoppingToken);
                _notified = true;
            }
            using (SuppressInstrumentationScope.Begin())
            {
                await CleanUpAsync(connection, stoppingToken);
            }
        }
    }

    private static async Task<bool> TryLeadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection) { Parameters = { new() { Value = DispatcherLockKey } } };
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Publishes the oldest pending rows and returns how many there were.</summary>
    private async Task<int> DispatchBatchAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        List<PendingRow> rows;
        // Looking costs a query per notification and per idle poll; only publishing is worth a span.
        using (SuppressInstrumentationScope.Begin())
        {
            rows = await ReadPendingAsync(connection, cancellationToken);
        }
        if (rows.Count == 0)
        {
            return 0;
        }
        try
        {
            await broker.EnsureTopologyAsync(cancellationToken);
        }
        catch (Exception ex) when (broker.IsFailedCall(ex))
        {
            throw new PublishFailedException(ex);
        }

        using var activity = MessagingTelemetry.Source.StartActivity("outbox publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", broker.System);
        activity?.SetTag("messaging.operation.type", "publish");
        activity?.SetTag("messaging.batch.message_count", rows.Count);

        // Topics are independent: each publishes its rows in order, side by side with the others.
        var results = await Task.WhenAll(rows.GroupBy(row => row.Topic).Select(group => PublishTopicAsync(group.Key, group.ToList(), cancellationToken)));
        var sent = results.SelectMany(result => result.Sent).ToArray();
        if (sent.Length > 0)
        {
            await connection.ExecuteAsync(
                "UPDATE outbox_messages SET sent_at = now(), publish_attempts = publish_attempts + 1 WHERE id = ANY($1)",
                cancellationToken, sent);
        }
        if (results.FirstOrDefault(result => result.Error is not null) is { Error: { } error } failed)
        {
            await connection.ExecuteAsync(
                "UPDATE outbox_messages SET publish_attempts = publish_attempts + 1, last_error = $2 WHERE id = ANY($1)",
                cancellationToken, failed.Unsent.ToArray(), error.Message);
            activity?.SetStatus(ActivityStatusCode.Error, error.Message);
            throw new PublishFailedException(error);
        }
        return rows.Count;
    }

    private async Task<TopicResult> PublishTopicAsync(string topic, List<PendingRow> rows, CancellationToken cancellationToken)
    {
        try
        {
            await broker.PublishAsync(topic, rows.Select(row => row.Message).ToArray(), cancellationToken);
            return new TopicResult(rows.Select(row => row.Id).ToList(), [], null);
        }
        catch (Exception ex) when (broker.IsFailedCall(ex))
        {
            // Some may have gone before the failure: they go again, and the inbox drops the copies.
            return new TopicResult([], rows.Select(row => row.Id).ToList(), ex);
        }
    }

    private static async Task<List<PendingRow>> ReadPendingAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT id, message_id, topic, message_type, ordering_key, body, attributes::text
            FROM outbox_messages WHERE sent_at IS NULL ORDER BY id LIMIT {BatchSize}
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<PendingRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var attributes = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(6)) ?? [];
            attributes[MessageAttributes.MessageType] = reader.GetString(3);
            attributes[MessageAttributes.MessageId] = reader.GetGuid(1).ToString();
            rows.Add(new PendingRow(reader.GetInt64(0), reader.GetString(2),
                new OutgoingMessage(reader.GetFieldValue<byte[]>(5), attributes, reader.IsDBNull(4) ? null : reader.GetString(4))));
        }
        return rows;
    }

    private async Task CleanUpAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (DateTimeOffset.UtcNow < _nextCleanup)
        {
            return;
        }
        _nextCleanup = DateTimeOffset.UtcNow.AddHours(1);
        var deleted = await connection.ExecuteAsync("DELETE FROM outbox_messages WHERE sent_at < now() - $1::interval",
            cancellationToken, SentRetention);
        if (deleted > 0)
        {
            logger.LogInformation("Removed {Count} sent outbox rows older than {Retention}", deleted, SentRetention);
        }
    }

    /// <summary>A pending outbox row, as the broker will get it: the platform's attributes join the trace context.</summary>
    private sealed record PendingRow(long Id, string Topic, OutgoingMessage Message);

    private sealed record TopicResult(List<long> Sent, List<long> Unsent, Exception? Error);

    private sealed class PublishFailedException(Exception inner) : Exception($"publishing failed: {inner.Message}", inner);
}
