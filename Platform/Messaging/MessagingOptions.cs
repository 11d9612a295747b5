using Microsoft.Extensions.Configuration;

namespace CartoSelfHosted.Platform.Messaging;

/// <summary>How the platform uses the broker; the section <c>Messaging</c> of the configuration.</summary>
public sealed class MessagingOptions
{
    public const string SectionName = "Messaging";

    private const string BrokerSetting = $"{SectionName}:Broker";

    /// <summary>A crashed worker's messages come back after this long; a running handler's deadline is extended before it passes.</summary>
    public int AckDeadlineSeconds { get; set; } = 10;

    /// <summary>A message whose handler failed this many times goes to its subscription's dead-letter topic.</summary>
    public int MaxDeliveryAttempts { get; set; } = 5;

    /// <summary>The wait before a failed message comes back doubles from this on each attempt…</summary>
    public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>…up to this (the broker takes at most 600 s).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Handlers that run at once, per subscription.</summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>Messages held at once (running or waiting for a handler), per subscription.</summary>
    public int MaxOutstandingMessages { get; set; } = 100;

    /// <summary>A handler running longer than this stops having its deadline extended, and its message comes back.</summary>
    public TimeSpan MaxLease { get; set; } = TimeSpan.FromHours(2);

    public TimeSpan RetryDelay(int deliveryAttempt) => Backoff.Delay(deliveryAttempt, MinRetryDelay, MaxRetryDelay);

    /// <summary>
    /// Which broker carries the messages, <c>Messaging:Broker</c>: <see cref="MessageBrokers.PubSub"/> (the default) or
    /// <see cref="MessageBrokers.RabbitMq"/>; anything else is refused at start, with what it may be. Read while the
    /// services are registered, before options exist.
    /// </summary>
    public static string BrokerOf(IConfiguration configuration)
    {
        var broker = configuration[BrokerSetting];
        return broker switch
        {
            null or "" => MessageBrokers.PubSub,
            MessageBrokers.PubSub or MessageBrokers.RabbitMq => broker,
            _ => throw new InvalidOperationException(
                $"{BrokerSetting} is '{broker}'; it is '{MessageBrokers.PubSub}' or '{MessageBrokers.RabbitMq}'."),
        };
    }
}
