using System.Collections.Concurrent;
using System.Threading.Channels;
using CartoSelfHosted.Platform.Messaging.PubSub;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;

namespace CartoSelfHosted.Platform.Messaging.Subscriber;

/// <summary>
/// Pulls one Pub/Sub subscription and hands its messages to the <see cref="SubscriptionProcessor"/>: at most
/// <see cref="MessagingOptions.MaxConcurrency"/> at once, messages of one ordering key one after another in order. While
/// a message is held its deadline is extended; one whose handler failed comes back after a growing delay (a message of
/// an ordering key is tried again in place).
/// It is not disposable on purpose: its token sources and semaphores hold no timers or wait handles, and disposing them
/// while a host still stops it (two stops racing at a test server's end) made the stop throw.
/// </summary>
internal sealed class SubscriberHost : IHostedService
{
    private static readonly TimeSpan AckGatherDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan FirstPullRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LastPullRetry = TimeSpan.FromSeconds(5);

    private readonly SubscriptionDefinition _subscription;
    private readonly SubscriptionProcessor _processor;
    private readonly PubSubClient _client;
    private readonly PubSubTopology _topology;
    private readonly MessagingOptions _options;
    private readonly ILogger _logger;

    private readonly SemaphoreSlim _outstanding;
    private readonly SemaphoreSlim _concurrency;
    private readonly int _pullBatch;
    private readonly ConcurrentDictionary<string, Lease> _leases = new();
    private readonly Dictionary<string, Queue<ReceivedMessage>> _orderingKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _running = new();
    private readonly Channel<string> _acks = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopPulling = new();
    private readonly CancellationTokenSource _stopHandlers = new();
    private readonly CancellationTokenSource _stopBackground = new();
    private Task _pulling = Task.CompletedTask;
    private Task _acknowledging = Task.CompletedTask;
    private Task _housekeeping = Task.CompletedTask;

    public SubscriberHost(SubscriberBuilder builder, PubSubBroker broker, PubSubClient client, PubSubTopology topology, MetadataDatabase metadata,
        IServiceScopeFactory scopes, IOptions<MessagingOptions> messagingOptions, ILoggerFactory loggers)
    {
        var options = messagingOptions.Value;
        _subscription = builder.Subscription;
        _client = client;
        _topology = topology;
        _options = options;
        _logger = loggers.CreateLogger($"{typeof(SubscriberHost).FullName}[{_subscription.Name}]");
        _processor = new SubscriptionProcessor(builder, broker, metadata, scopes, options, _logger);
        _outstanding = new SemaphoreSlim(options.MaxOutstandingMessages, options.MaxOutstandingMessages);
        _concurrency = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _pullBatch = Math.Max(1, options.MaxOutstandingMessages / 4);
    }

    private string Name => _subscription.Name;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _pulling = Task.Run(() => PullLoopAsync(_stopPulling.Token), CancellationToken.None);
        _acknowledging = Task.Run(AckLoopAsync, CancellationToken.None);
        // A deadline is extended when it would run out within this margin, which absorbs a slow round or a busy broker.
        var margin = TimeSpan.FromSeconds(Math.Max(3, _options.AckDeadlineSeconds / 3.0));
        _housekeeping = Task.Run(() => _processor.RunBookkeepingAsync((now, stopping) => ExtendLeasesAsync(now, margin, stopping),
            _stopBackground.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops pulling, lets running handlers finish while the host allows, then sends the last acknowledgements.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopPulling.CancelAsync();
        await _pulling;
        try
        {
            await Task.WhenAll(_running.Values).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("Stopping with {Count} handlers still running: their messages come back", _running.Count);
            await _stopHandlers.CancelAsync();
            await Task.WhenAll(_running.Values).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _acks.Writer.TryComplete();
        await _acknowledging;
        await _stopBackground.CancelAsync();
        await _housekeeping;
        await _processor.FlushStatsAsync(CancellationToken.None);
    }

    private async Task PullLoopAsync(CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            var slots = 0;
            try
            {
                await _outstanding.WaitAsync(stopping);
                slots = 1;
                // Under load, pull once a quarter of the window is free: a few large pulls cost the broker far less
                // than many small ones. When idle the whole window is free, so this never delays a message.
                while (slots < _pullBatch)
                {
                    await _outstanding.WaitAsync(stopping);
                    slots++;
                }
                while (slots < _options.MaxOutstandingMessages && _outstanding.Wait(0))
                {
                    slots++;
                }
                await _topology.EnsureAsync(stopping);
                IReadOnlyList<ReceivedMessage> messages;
                // The long-poll itself is plumbing, not a span worth keeping; each message gets its own.
                using (SuppressInstrumentationScope.Begin())
                {
                    messages = await _client.PullAsync(Name, slots, stopping);
                }
                failures = 0;
                var received = DateTimeOffset.UtcNow;
                var expires = received.AddSeconds(_options.AckDeadlineSeconds);
                ReleaseSlots(slots - messages.Count);
                slots = 0;
                foreach (var message in messages)
                {
                    _leases[message.AckId] = new Lease(received) { Expires = expires };
                    Dispatch(message);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                ReleaseSlots(slots);
                return;
            }
            catch (Exception ex)
            {
                // Whatever failed, the loop goes on: a subscriber that stopped pulling would look healthy and do nothing.
                ReleaseSlots(slots);
                if (ex is PubSubException { IsNotFound: true })
                {
                    _topology.Invalidate();
                }
                failures++;
                var delay = Backoff.Delay(failures, FirstPullRetry, LastPullRetry);
                _logger.LogWarning("Pulling {Subscription} failed ({Reason}); trying again in {Delay} ms", Name, ex.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void ReleaseSlots(int slots)
    {
        if (slots > 0)
        {
            _outstanding.Release(slots);
        }
    }

    /// <summary>A message of an ordering key waits behind the key's earlier ones; any other starts now.</summary>
    private void Dispatch(ReceivedMessage message)
    {
        if (message.OrderingKey is { } key)
        {
            lock (_orderingKeys)
            {
                if (_orderingKeys.TryGetValue(key, out var waiting))
                {
                    waiting.Enqueue(message);
                    return;
                }
                _orderingKeys[key] = new Queue<ReceivedMessage>();
            }
        }
        Start(message);
    }

    private void Start(ReceivedMessage message)
    {
        var task = RunAsync(message);
        _running[message.AckId] = task;
        // Removed by the continuation, never before the task is in the map: a task that already ran to completion
        // runs its continuation at once, after the line above.
        task.ContinueWith(_ => _running.TryRemove(message.AckId, out Task? _), TaskScheduler.Default);
    }

    private async Task RunAsync(ReceivedMessage message)
    {
        var settled = false;
        try
        {
            var attempt = message.DeliveryAttempt;
            while (true)
            {
                ProcessOutcome outcome;
                await _concurrency.WaitAsync(_stopPulling.Token);
                try
                {
                    outcome = await ProcessAsync(message, attempt);
                }
                finally
                {
                    _concurrency.Release();
                }
                settled = outcome.Settled;
                if (outcome.RetryAfter is not { } delay)
                {
                    break;
                }
                if (message.OrderingKey is null)
                {
                    await ReleaseAsync(message, delay);
                    break;
                }
                // A message of an ordering key is tried again here, still held, so nothing of its key can overtake it
                // (the emulator does not hold a key's later messages back behind a redelivery).
                await Task.Delay(delay, _stopPulling.Token);
                attempt++;
            }
        }
        catch (OperationCanceledException) when (_stopPulling.IsCancellationRequested)
        {
            // Stopping before it started, or between two tries: hand it straight back.
            await ReleaseAsync(message, TimeSpan.Zero);
        }
        finally
        {
            _outstanding.Release();
            if (message.OrderingKey is { } key)
            {
                await ContinueKeyAsync(key, settled);
            }
        }
    }

    /// <summary>
    /// The key's next message runs once this one is settled. If this one comes back instead, the key's later messages
    /// are handed back too: the broker redelivers them after it, in order.
    /// </summary>
    private async Task ContinueKeyAsync(string key, bool settled)
    {
        ReceivedMessage? next = null;
        ReceivedMessage[] handedBack = [];
        lock (_orderingKeys)
        {
            var waiting = _orderingKeys[key];
            if (settled && !_stopPulling.IsCancellationRequested && waiting.Count > 0)
            {
                next = waiting.Dequeue();
            }
            else
            {
                handedBack = waiting.ToArray();
                _orderingKeys.Remove(key);
            }
        }
        if (next is not null)
        {
            Start(next);
        }
        foreach (var message in handedBack)
        {
            _outstanding.Release();
            await ReleaseAsync(message, TimeSpan.Zero);
        }
    }

    /// <summary>Runs the message's handler as its <paramref name="attempt"/>th attempt, and acknowledges or hands it back after.</summary>
    private async Task<ProcessOutcome> ProcessAsync(ReceivedMessage message, int attempt)
    {
        var outcome = await _processor.ProcessAsync(
            new IncomingMessage(message.MessageId, message.Data, message.Attributes, message.OrderingKey), attempt, _stopHandlers.Token);
        if (outcome.Settled)
        {
            Acknowledge(message);
        }
        else if (outcome.RetryAfter is null)
        {
            await ReleaseAsync(message, TimeSpan.Zero);
        }
        return outcome;
    }

    private void Acknowledge(ReceivedMessage message)
    {
        _leases.TryRemove(message.AckId, out _);
        _acks.Writer.TryWrite(message.AckId);
    }

    /// <summary>Gives the message back: the broker delivers it again once <paramref name="delay"/> has passed.</summary>
    private async Task ReleaseAsync(ReceivedMessage message, TimeSpan delay)
    {
        _leases.TryRemove(message.AckId, out _);
        try
        {
            using (SuppressInstrumentationScope.Begin())
            {
                await _client.ModifyAckDeadlineAsync(Name, [message.AckId], (int)Math.Min(600, Math.Round(delay.TotalSeconds)), CancellationToken.None);
            }
        }
        catch (Exception ex) when (PubSubClient.IsFailedCall(ex))
        {
            // The deadline runs out on its own; the message comes back then.
            _logger.LogWarning("Could not hand message {PubSubMessageId} back ({Reason})", message.MessageId, ex.Message);
        }
    }

    /// <summary>Acknowledges in batches: whatever has been settled since the last call goes in the next one.</summary>
    private async Task AckLoopAsync()
    {
        var reader = _acks.Reader;
        var batch = new List<string>();
        while (await reader.WaitToReadAsync())
        {
            // Under load, a short wait gathers many acknowledgements into one request. Handling is already committed,
            // so the wait delays nothing but the broker's bookkeeping.
            await Task.Delay(AckGatherDelay);
            while (batch.Count < 1000 && reader.TryRead(out var ackId))
            {
                batch.Add(ackId);
            }
            try
            {
                using (SuppressInstrumentationScope.Begin())
                {
                    await _client.AcknowledgeAsync(Name, batch, CancellationToken.None);
                }
            }
            catch (Exception ex)
            {
                // Those messages come back; the inbox acknowledges them without running their handlers again.
                _logger.LogWarning("Acknowledging {Count} messages of {Subscription} failed: {Reason}", batch.Count, Name, ex.Message);
            }
            batch.Clear();
        }
    }

    /// <summary>
    /// Extends the deadlines that would run out within <paramref name="margin"/>, so a message handled within its first
    /// deadline (most of them) costs the broker no extension at all.
    /// </summary>
    private async Task ExtendLeasesAsync(DateTimeOffset now, TimeSpan margin, CancellationToken stopping)
    {
        var due = new List<KeyValuePair<string, Lease>>();
        foreach (var lease in _leases)
        {
            if (now - lease.Value.Received >= _options.MaxLease)
            {
                _logger.LogWarning("A message of {Subscription} has been held for {MaxLease}: no longer extending it", Name, _options.MaxLease);
                _leases.TryRemove(lease.Key, out _);
            }
            else if (lease.Value.Expires - now < margin)
            {
                due.Add(lease);
            }
        }
        foreach (var chunk in due.Chunk(1000))
        {
            try
            {
                await _client.ModifyAckDeadlineAsync(Name, chunk.Select(lease => lease.Key).ToArray(), _options.AckDeadlineSeconds, stopping);
                foreach (var (_, lease) in chunk)
                {
                    lease.Expires = now.AddSeconds(_options.AckDeadlineSeconds);
                }
            }
            catch (Exception ex) when (PubSubClient.IsFailedCall(ex))
            {
                _logger.LogWarning("Extending {Count} deadlines of {Subscription} failed: {Reason}", chunk.Length, Name, ex.Message);
            }
        }
    }

    /// <summary>A held message: when it was pulled, and when the broker's deadline for it runs out.</summary>
    private sealed class Lease(DateTimeOffset received)
    {
        public DateTimeOffset Received { get; } = received;

        public DateTimeOffset Expires { get; set; }
    }
}
