namespace CartoSelfHosted.Platform.Messaging;

/// <summary>
/// What the outbox and the subscribers need from a broker, and nothing more: the seam between the platform's messaging
/// (outbox, inbox, retries, dead letters, ordering, counters, traces — all ours, the same on every broker) and the wire.
/// Google Cloud Pub/Sub (<see cref="PubSub.PubSubBroker"/>) and RabbitMQ through MassTransit
/// (<see cref="RabbitMq.RabbitMqBroker"/>) implement it; <c>Messaging:Broker</c> chooses one per installation.
/// </summary>
public interface IMessageBroker
{
    /// <summary>The broker's name in OpenTelemetry's <c>messaging.system</c> (<c>gcp_pubsub</c>, <c>rabbitmq</c>).</summary>
    string System { get; }

    /// <summary>Its value of <c>Messaging:Broker</c> (<c>pubsub</c>, <c>rabbitmq</c>), which names its health check too.</summary>
    string Name { get; }

    /// <summary>
    /// Makes sure every topic and subscription of <see cref="Topology.MessagingTopology"/> exists, so nothing published
    /// is lost for want of a subscription. Cheap once done.
    /// </summary>
    Task EnsureTopologyAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Publishes <paramref name="messages"/> to <paramref name="topic"/> and returns once the broker holds every one of
    /// them; messages of one ordering key in the order given. A failure throws what <see cref="IsFailedCall"/> knows.
    /// </summary>
    Task PublishAsync(string topic, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken);

    /// <summary>A call to the broker failed in a way worth trying again later (no answer, an error answer, no answer in time).</summary>
    bool IsFailedCall(Exception exception);
}

/// <summary>The values of <c>Messaging:Broker</c>.</summary>
public static class MessageBrokers
{
    public const string PubSub = "pubsub";
    public const string RabbitMq = "rabbitmq";
}
