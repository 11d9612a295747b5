using Npgsql;

namespace CartoSelfHosted.Platform.Messaging.Subscriber;

/// <summary>Handles one message type on a subscription. Its database effects belong in <see cref="MessageContext.Transaction"/>.</summary>
public interface IMessageHandler<in TMessage> where TMessage : IMessage
{
    Task HandleAsync(TMessage message, MessageContext context, CancellationToken cancellationToken);
}

/// <summary>
/// What a handler knows about the delivery. <see cref="Transaction"/> is the metadata database transaction that also
/// records the message in the inbox: what the handler writes there commits once, with the inbox row, or not at all.
/// </summary>
public sealed class MessageContext
{
    public required string Subscription { get; init; }

    public required Guid MessageId { get; init; }

    /// <summary>1 on the first delivery; more when an earlier attempt failed or its worker stopped.</summary>
    public required int DeliveryAttempt { get; init; }

    public required IReadOnlyDictionary<string, string> Attributes { get; init; }

    public required NpgsqlTransaction Transaction { get; init; }

    public NpgsqlConnection Connection => Transaction.Connection!;
}
