using System.Text.Json;

namespace CartoSelfHosted.Platform.Messaging;

/// <summary>A message type of the platform. Its name travels in the <c>message-type</c> attribute; its body is JSON.</summary>
public interface IMessage
{
    static abstract string MessageType { get; }
}

/// <summary>The attributes every platform message carries, beside W3C trace context (<c>traceparent</c>, <c>tracestate</c>).</summary>
public static class MessageAttributes
{
    public const string MessageType = "message-type";

    /// <summary>The platform's own id, given when the message enters the outbox: a re-sent message keeps it, the inbox keys on it.</summary>
    public const string MessageId = "message-id";

    public const string DeadLetterReason = "dead-letter-reason";
    public const string DeadLetterSubscription = "dead-letter-subscription";
    public const string DeadLetterDeliveryAttempt = "dead-letter-delivery-attempt";
}

/// <summary>A message to publish: its bytes, its attributes and, for ordered delivery, its ordering key.</summary>
public sealed record OutgoingMessage(byte[] Data, IReadOnlyDictionary<string, string> Attributes, string? OrderingKey = null);

public static class MessageSerializer
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
