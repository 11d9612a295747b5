namespace CartoSelfHosted.Platform.Messaging.RabbitMq;

/// <summary>
/// The one message type MassTransit carries for the platform: an outbox row as it is (the body of any platform
/// message, its attributes and ordering key), so MassTransit's own type routing never needs to know our message types
/// and a body that does not read as its type still reaches the subscriber, which dead-letters it with the reason.
/// Bodies are UTF-8 JSON, so they travel as text a person can read in the broker's tools.
/// </summary>
public sealed record PlatformMessage(string Body, Dictionary<string, string> Attributes, string? OrderingKey);
