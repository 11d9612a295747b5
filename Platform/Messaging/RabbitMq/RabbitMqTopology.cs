using CartoSelfHosted.Platform.Messaging.Topology;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace CartoSelfHosted.Platform.Messaging.RabbitMq;

/// <summary>
/// The platform's topology on RabbitMQ, declared by every service that publishes or subscribes (idempotently, like
/// <see cref="PubSub.PubSubTopology"/>), so a message published before its worker first started still has a queue to
/// wait in. MassTransit declares only the queues a process consumes, hence this, on RabbitMQ's own client.
/// <list type="bullet">
/// <item>a topic is a durable fanout exchange;</item>
/// <item>a subscription is a durable quorum queue bound to it: quorum queues count deliveries (<c>x-delivery-count</c>,
/// what tells a redelivered message's attempt) and, past <c>x-delivery-limit</c>, dead-letter a message whose handler
/// crashes its worker every time to <c>x-dead-letter-exchange</c> — the backstop behind the subscriber's own dead
/// letters, as on Pub/Sub;</item>
/// <item>an ordered subscription's queue has a single active consumer;</item>
/// <item>a subscription's dead-letter topic is a fanout exchange with a queue of the same name that keeps what lands there.</item>
/// </list>
/// </summary>
public sealed class RabbitMqTopology(RabbitMqOptions rabbitMq, IOptions<MessagingOptions> options, ILogger<RabbitMqTopology> logger)
{
    private readonly EnsuredOnce _ensured = new();

    /// <summary>A subscription's queue, as this class declares it and as MassTransit must declare it again (RabbitMQ refuses a differing one).</summary>
    public static IReadOnlyDictionary<string, object> SubscriptionQueueArguments(SubscriptionDefinition subscription, int maxDeliveryAttempts)
    {
        var arguments = new Dictionary<string, object>
        {
            ["x-queue-type"] = "quorum",
            ["x-dead-letter-exchange"] = subscription.DeadLetterTopic,
            // One attempt later than the subscriber's own dead-lettering, as on Pub/Sub (MessagingTopology.Settings).
            ["x-delivery-limit"] = Math.Clamp(maxDeliveryAttempts + 1, 5, 100),
        };
        if (subscription.EnableMessageOrdering)
        {
            // In order across replicas too: one consumer at a time gets the queue's messages; another takes over when it goes.
            arguments["x-single-active-consumer"] = true;
        }
        return arguments;
    }

    public Task EnsureAsync(CancellationToken cancellationToken) => _ensured.EnsureAsync(DeclareAsync, cancellationToken);

    /// <summary>A message came back unrouted, or the channel failed: the next <see cref="EnsureAsync"/> declares everything again.</summary>
    public void Invalidate() => _ensured.Invalidate();

    private async Task DeclareAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = rabbitMq.Uri, ClientProvidedName = "carto-topology" };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        foreach (var subscription in MessagingTopology.AllSubscriptions)
        {
            await channel.ExchangeDeclareAsync(subscription.Topic, ExchangeType.Fanout, durable: true, autoDelete: false,
                cancellationToken: cancellationToken);
            await channel.ExchangeDeclareAsync(subscription.DeadLetterTopic, ExchangeType.Fanout, durable: true, autoDelete: false,
                cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(subscription.DeadLetterTopic, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(subscription.DeadLetterTopic, subscription.DeadLetterTopic, "", cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(subscription.Name, durable: true, exclusive: false, autoDelete: false,
                arguments: SubscriptionQueueArguments(subscription, options.Value.MaxDeliveryAttempts).ToDictionary(pair => pair.Key, pair => (object?)pair.Value),
                cancellationToken: cancellationToken);
            await channel.QueueBindAsync(subscription.Name, subscription.Topic, "", cancellationToken: cancellationToken);
        }
        logger.LogInformation("RabbitMQ topology of virtual host {VirtualHost} is in place", rabbitMq.VirtualHost);
    }
}
