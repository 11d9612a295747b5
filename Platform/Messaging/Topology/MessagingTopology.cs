using CartoSelfHosted.Platform.Messaging.PubSub;

namespace CartoSelfHosted.Platform.Messaging.Topology;

/// <summary>
/// A subscription of the platform. Each has a dead-letter topic of its own, named after it, with a subscription of
/// the same name that keeps what lands there until someone looks. <see cref="EnableMessageOrdering"/>: messages of one
/// ordering key are handled one after another, in order. Pub/Sub does that with other keys' messages side by side;
/// RabbitMQ (through MassTransit, which hands a queue's deliveries to handlers side by side, in no set order) only by
/// handling the subscription's messages one at a time, on one replica at a time — so subscriptions whose messages carry
/// no key leave it off.
/// </summary>
public sealed record SubscriptionDefinition(string Name, string Topic, bool EnableMessageOrdering = true)
{
    public string DeadLetterTopic => $"{Name}.dead-letter";
}

/// <summary>
/// Every topic and subscription of the platform, in one place. Any service that publishes or subscribes creates all
/// of them at start (idempotently), so whichever starts first leaves the broker ready for the rest.
/// </summary>
public static class MessagingTopology
{
    public static class Topics
    {
        public const string ImportJobs = "import-jobs";
        public const string SqlJobs = "sql-jobs";
        public const string WorkspaceEvents = "workspace-events";
        public const string DataChanged = "data-changed";
    }

    public static class Subscriptions
    {
        // Jobs carry no ordering key: they run side by side.
        public static readonly SubscriptionDefinition ImportWorker = new("import-jobs.import-worker", Topics.ImportJobs, EnableMessageOrdering: false);
        public static readonly SubscriptionDefinition SqlWorker = new("sql-jobs.sql-worker", Topics.SqlJobs, EnableMessageOrdering: false);
        public static readonly SubscriptionDefinition WorkspaceSubscriber = new("workspace-events.workspace-subscriber", Topics.WorkspaceEvents);
        public static readonly SubscriptionDefinition WorkspaceSubscriberDataChanged = new("data-changed.workspace-subscriber", Topics.DataChanged);
        public static readonly SubscriptionDefinition CdnInvalidator = new("data-changed.cdn-invalidator", Topics.DataChanged);
    }

    public static IReadOnlyList<string> WorkerTopics { get; } =
        [Topics.ImportJobs, Topics.SqlJobs, Topics.WorkspaceEvents, Topics.DataChanged];

    public static IReadOnlyList<SubscriptionDefinition> AllSubscriptions { get; } =
    [
        Subscriptions.ImportWorker, Subscriptions.SqlWorker, Subscriptions.WorkspaceSubscriber,
        Subscriptions.WorkspaceSubscriberDataChanged, Subscriptions.CdnInvalidator,
    ];

    /// <summary>
    /// How a subscription is created. The subscriber dead-letters a message itself after <paramref name="maxDeliveryAttempts"/>
    /// failed attempts, with the reason; the broker's own policy, one attempt later, is the backstop for a message whose
    /// handler crashes the worker every time (Google Cloud forwards it then; the emulator drops it).
    /// </summary>
    public static IEnumerable<SubscriptionSettings> Settings(SubscriptionDefinition subscription, int ackDeadlineSeconds, int maxDeliveryAttempts)
    {
        yield return new SubscriptionSettings(subscription.Name, subscription.Topic, ackDeadlineSeconds,
            subscription.EnableMessageOrdering, subscription.DeadLetterTopic, Math.Clamp(maxDeliveryAttempts + 1, 5, 100));
        yield return new SubscriptionSettings(subscription.DeadLetterTopic, subscription.DeadLetterTopic, ackDeadlineSeconds,
            EnableMessageOrdering: false, DeadLetterTopic: null, MaxDeliveryAttempts: 0);
    }
}
