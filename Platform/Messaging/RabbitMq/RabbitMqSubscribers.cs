using CartoSelfHosted.Platform.Messaging.Subscriber;
using CartoSelfHosted.Platform.Metadata;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.Platform.Messaging.RabbitMq;

/// <summary>
/// The service's subscriptions on RabbitMQ: a MassTransit receive endpoint for each (configured on the bus by
/// <see cref="ConfigureEndpoints"/>), and while the service runs, each one's bookkeeping (counters, inbox trimming).
/// </summary>
internal sealed class RabbitMqSubscribers : IHostedService
{
    private readonly MessagingOptions _options;
    private readonly IReadOnlyList<RabbitMqSubscription> _subscriptions;
    private readonly IReadOnlyList<SubscriptionProcessor> _processors;
    private readonly CancellationTokenSource _stopping = new();
    private Task _bookkeeping = Task.CompletedTask;

    public RabbitMqSubscribers(IEnumerable<SubscriberBuilder> builders, IMessageBroker broker, MetadataDatabase metadata,
        IServiceScopeFactory scopes, IOptions<MessagingOptions> options, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        // As soon as the host begins to stop, before MassTransit's bus does: the bus waits for its handlers, and a
        // message waiting out its retry delay then hands itself back at once instead of holding the stop up.
        lifetime.ApplicationStopping.Register(_stopping.Cancel);
        _options = options.Value;
        _processors = builders.Select(builder => new SubscriptionProcessor(builder, broker, metadata, scopes, _options,
            loggers.CreateLogger($"{typeof(RabbitMqSubscription).FullName}[{builder.Subscription.Name}]"))).ToArray();
        _subscriptions = _processors.Select(processor => new RabbitMqSubscription(processor, _stopping.Token)).ToArray();
    }

    /// <summary>
    /// A receive endpoint per subscription on the queue <see cref="RabbitMqTopology"/> declares (the same arguments, or
    /// RabbitMQ refuses), bound by that topology rather than by MassTransit's message-type exchanges. An unordered
    /// subscription holds up to <see cref="MessagingOptions.MaxOutstandingMessages"/> at once and runs up to
    /// <see cref="MessagingOptions.MaxConcurrency"/> of them; an ordered one takes its
    /// messages one at a time, in the queue's order (MassTransit keeps that order only so: its partitioner serializes a
    /// key's messages but lets them start in any order). A handler's exception goes back to RabbitMQ (requeued,
    /// counted) instead of MassTransit's error queue: the subscription dead-letters what it gives up on itself.
    /// </summary>
    public void ConfigureEndpoints(IRabbitMqBusFactoryConfigurator bus)
    {
        foreach (var subscription in _subscriptions)
        {
            var definition = subscription.Subscription;
            bus.ReceiveEndpoint(definition.Name, endpoint =>
            {
                endpoint.ConfigureConsumeTopology = false;
                foreach (var (name, value) in RabbitMqTopology.SubscriptionQueueArguments(definition, _options.MaxDeliveryAttempts))
                {
                    endpoint.SetQueueArgument(name, value);
                }
                // A message waiting to be tried again holds its handler slot, as it holds its key on Pub/Sub.
                endpoint.PrefetchCount = definition.EnableMessageOrdering ? 1 : _options.MaxOutstandingMessages;
                endpoint.ConcurrentMessageLimit = definition.EnableMessageOrdering ? 1 : _options.MaxConcurrency;
                endpoint.RethrowFaultedMessages();
                endpoint.Handler<PlatformMessage>(subscription.HandleAsync);
            });
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _bookkeeping = Task.WhenAll(_processors.Select(processor =>
            Task.Run(() => processor.RunBookkeepingAsync(null, _stopping.Token), CancellationToken.None)));
        return Task.CompletedTask;
    }

    /// <summary>The counters are written a last time.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _bookkeeping;
        foreach (var processor in _processors)
        {
            await processor.FlushStatsAsync(CancellationToken.None);
        }
    }
}
