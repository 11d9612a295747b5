using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;

namespace CartoSelfHosted.Platform.Messaging.Subscriber;

/// <summary>A message as a broker delivered it: the broker's own id for it, its bytes, attributes and ordering key.</summary>
internal sealed record IncomingMessage(string BrokerMessageId, byte[] Data, IReadOnlyDictionary<string, string> Attributes, string? OrderingKey);

/// <summary>How handling a message ended: settled (handled or dead-lettered), to be tried again after a delay, or handed back.</summary>
internal readonly record struct ProcessOutcome(bool Settled, TimeSpan? RetryAfter)
{
    public static readonly ProcessOutcome Done = new(true, null);

    /// <summary>Stopping: the broker is to deliver it again at once, to this replica or another.</summary>
    public static readonly ProcessOutcome HandedBack = new(false, null);

    public static ProcessOutcome Retry(TimeSpan delay) => new(false, delay);
}

/// <summary>
/// What a subscription does with a message, whichever broker delivered it: reads it, runs its handler in a metadata
/// transaction that also writes the message's inbox row (<see cref="InboxCommits"/>: a message delivered again, or sent
/// again by the outbox, has its effects once), counts the outcome, and after <see cref="MessagingOptions.MaxDeliveryAttempts"/> failed attempts
/// (or at once, for a message it cannot read) publishes it to the subscription's dead-letter topic with the reason.
/// The broker's subscriber (<see cref="SubscriberHost"/> for Pub/Sub, <see cref="RabbitMq.RabbitMqSubscription"/> for
/// RabbitMQ) receives, holds, acknowledges and redelivers.
/// </summary>
internal sealed class SubscriptionProcessor
{
    // Pub/Sub takes attribute values of up to 1,024 bytes.
    private const int MaxReasonLength = 900;
    private static readonly TimeSpan InboxRetention = TimeSpan.FromDays(8);

    private readonly IReadOnlyDictionary<string, HandlerRegistration> _handlers;
    private readonly IMessageBroker _broker;
    private readonly MetadataDatabase _metadata;
    private readonly IServiceScopeFactory _scopes;
    private readonly MessagingOptions _options;
    private readonly ILogger _logger;
    private readonly SubscriptionStats _stats;
    private readonly InboxCommits _inbox;

    public SubscriptionProcessor(SubscriberBuilder builder, IMessageBroker broker, MetadataDatabase metadata, IServiceScopeFactory scopes,
        MessagingOptions options, ILogger logger)
    {
        Subscription = builder.Subscription;
        _handlers = builder.Handlers;
        _broker = broker;
        _metadata = metadata;
        _scopes = scopes;
        _options = options;
        _logger = logger;
        _stats = new SubscriptionStats(Subscription.Name, metadata);
        _inbox = new InboxCommits(Subscription.Name, metadata, builder.CommitsTogether);
    }

    public SubscriptionDefinition Subscription { get; }

    private string Name => Subscription.Name;

    /// <summary>Runs the message's handler, as its <paramref name="attempt"/>th attempt; <paramref name="stopping"/> cancels the handler.</summary>
    public async Task<ProcessOutcome> ProcessAsync(IncomingMessage message, int attempt, CancellationToken stopping)
    {
        using var activity = MessagingTelemetry.Source.StartActivity($"{Name} process", ActivityKind.Consumer,
            MessagingTelemetry.Extract(message.Attributes));
        activity?.SetTag("messaging.system", _broker.System);
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.destination.name", Subscription.Topic);
        activity?.SetTag("messaging.destination.subscription.name", Name);
        activity?.SetTag("messaging.message.id", message.BrokerMessageId);
        activity?.SetTag($"messaging.{_broker.System}.message.delivery_attempt", attempt);
        if (message.OrderingKey is { } orderingKey)
        {
            activity?.SetTag($"messaging.{_broker.System}.message.ordering_key", orderingKey);
        }

        if (!TryRead(message, out var read, out var unreadable))
        {
            return await DeadLetterAsync(message, attempt, unreadable);
        }
        if (attempt > _options.MaxDeliveryAttempts)
        {
            return await DeadLetterAsync(message, attempt,
                $"delivered {attempt} times without being settled: its worker stopped while handling it each time");
        }

        var (messageType, messageId, handler, body) = read;
        using var logScope = _logger.BeginScope("{Subscription} {MessageType} {MessageId} attempt {DeliveryAttempt}",
            Name, messageType, messageId, attempt);
        try
        {
            var firstTime = await _inbox.HandleAsync(new InboxEntry(messageId, messageType, async transaction =>
            {
                await using var scope = _scopes.CreateAsyncScope();
                await handler.InvokeAsync(scope.ServiceProvider, body, new MessageContext
                {
                    Subscription = Name,
                    MessageId = messageId,
                    DeliveryAttempt = attempt,
                    Attributes = message.Attributes,
                    Transaction = transaction,
                }, stopping);
            }), stopping);
            if (firstTime)
            {
                _stats.Handled();
                _logger.LogInformation("Handled {MessageType} {MessageId} from {Subscription}", messageType, messageId, Name);
            }
            else
            {
                _logger.LogInformation("{MessageType} {MessageId} was already handled by {Subscription}: acknowledged without running again",
                    messageType, messageId, Name);
            }
            return ProcessOutcome.Done;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return ProcessOutcome.HandedBack;
        }
        catch (Exception ex)
        {
            _stats.Failed();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            if (attempt >= _options.MaxDeliveryAttempts)
            {
                return await DeadLetterAsync(message, attempt, $"failed {attempt} times; last: {ex.GetType().Name}: {ex.Message}");
            }
            var delay = _options.RetryDelay(attempt);
            _logger.LogWarning(ex, "{MessageType} {MessageId} failed on attempt {DeliveryAttempt}; it is tried again in {Delay} s",
                messageType, messageId, attempt, delay.TotalSeconds);
            return ProcessOutcome.Retry(delay);
        }
    }

    /// <summary>A message this subscription can run: its type, the platform's id for it, its handler and its body.</summary>
    private sealed record ReadMessage(string MessageType, Guid MessageId, HandlerRegistration Handler, object Body);

    private bool TryRead(IncomingMessage message, out ReadMessage read, out string reason)
    {
        read = null!;
        if (!message.Attributes.TryGetValue(MessageAttributes.MessageType, out var messageType))
        {
            reason = $"it has no {MessageAttributes.MessageType} attribute";
            return false;
        }
        if (!_handlers.TryGetValue(messageType, out var handler))
        {
            reason = $"{Name} has no handler for message type '{messageType}'";
            return false;
        }
        if (!message.Attributes.TryGetValue(MessageAttributes.MessageId, out var id) || !Guid.TryParse(id, out var messageId))
        {
            reason = $"it has no valid {MessageAttributes.MessageId} attribute";
            return false;
        }
        object? body;
        try
        {
            body = handler.Deserialize(message.Data);
        }
        catch (JsonException ex)
        {
            reason = $"its body is not a valid '{messageType}' message: {ex.Message}";
            return false;
        }
        if (body is null)
        {
            reason = $"its body is not a valid '{messageType}' message: it is null";
            return false;
        }
        read = new ReadMessage(messageType, messageId, handler, body);
        reason = "";
        return true;
    }

    /// <summary>Publishes the message, with the reason in its attributes, to the subscription's dead-letter topic; then it is settled.</summary>
    private async Task<ProcessOutcome> DeadLetterAsync(IncomingMessage message, int attempt, string reason)
    {
        var attributes = new Dictionary<string, string>(message.Attributes)
        {
            [MessageAttributes.DeadLetterReason] = reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason,
            [MessageAttributes.DeadLetterSubscription] = Name,
            [MessageAttributes.DeadLetterDeliveryAttempt] = attempt.ToString(CultureInfo.InvariantCulture),
        };
        try
        {
            await _broker.PublishAsync(Subscription.DeadLetterTopic, [new OutgoingMessage(message.Data, attributes)], CancellationToken.None);
        }
        catch (Exception ex) when (_broker.IsFailedCall(ex))
        {
            _logger.LogWarning("Could not dead-letter message {BrokerMessageId} ({Reason}); it comes back", message.BrokerMessageId, ex.Message);
            return ProcessOutcome.Retry(_options.RetryDelay(attempt));
        }
        _stats.DeadLettered();
        Activity.Current?.SetStatus(ActivityStatusCode.Error, reason);
        _logger.LogWarning("Dead-lettered message {BrokerMessageId} of {Subscription} to {DeadLetterTopic}: {Reason}",
            message.BrokerMessageId, Name, Subscription.DeadLetterTopic, reason);
        return ProcessOutcome.Done;
    }

    /// <summary>
    /// Every second until <paramref name="stopping"/>: <paramref name="eachTick"/> (the broker's own chores), then the
    /// counters are flushed, and hourly the inbox is trimmed. Its calls are bookkeeping, not work a trace should show.
    /// </summary>
    public async Task RunBookkeepingAsync(Func<DateTimeOffset, CancellationToken, Task>? eachTick, CancellationToken stopping)
    {
        var nextInboxCleanup = DateTimeOffset.UtcNow;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        using var unrecorded = SuppressInstrumentationScope.Begin();
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                var now = DateTimeOffset.UtcNow;
                try
                {
                    if (eachTick is not null)
                    {
                        await eachTick(now, stopping);
                    }
                    await FlushStatsAsync(stopping);
                    if (now >= nextInboxCleanup)
                    {
                        nextInboxCleanup = now.AddHours(1);
                        await TrimInboxAsync(stopping);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The next tick tries again.
                    _logger.LogError(ex, "Bookkeeping of {Subscription} failed", Name);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Writes the counters not yet written; a subscriber calls it once more as it stops.</summary>
    public async Task FlushStatsAsync(CancellationToken cancellationToken)
    {
        try
        {
            using (SuppressInstrumentationScope.Begin())
            {
                await _stats.FlushAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            _logger.LogWarning("Could not record the counters of {Subscription}: {Reason}", Name, ex.Message);
        }
    }

    private async Task TrimInboxAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _metadata.DataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync("DELETE FROM inbox_messages WHERE subscription = $1 AND handled_at < now() - $2::interval",
                cancellationToken, Name, InboxRetention);
        }
        catch (NpgsqlException ex)
        {
            _logger.LogWarning("Could not trim the inbox of {Subscription}: {Reason}", Name, ex.Message);
        }
    }
}
