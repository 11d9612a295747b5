using CartoSelfHosted.Platform.Messaging.PubSub;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.Platform.Messaging.Topology;

/// <summary>
/// Makes sure the broker has the platform's topics and subscriptions before anything is published or pulled. It
/// remembers success; a NOT_FOUND later (an emulator restarted empty) makes it create them again.
/// </summary>
public sealed class PubSubTopology(PubSubClient client, IOptions<MessagingOptions> options, ILogger<PubSubTopology> logger)
{
    private readonly EnsuredOnce _ensured = new();

    public Task EnsureAsync(CancellationToken cancellationToken) => _ensured.EnsureAsync(CreateAsync, cancellationToken);

    /// <summary>Called on a NOT_FOUND from the broker: the next <see cref="EnsureAsync"/> creates everything again.</summary>
    public void Invalidate() => _ensured.Invalidate();

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        var settings = MessagingTopology.AllSubscriptions
            .SelectMany(subscription => MessagingTopology.Settings(subscription, options.Value.AckDeadlineSeconds, options.Value.MaxDeliveryAttempts))
            .ToArray();
        // Topics first: a subscription, and its dead-letter policy, name topics that must exist.
        foreach (var topic in settings.Select(subscription => subscription.Topic).Distinct())
        {
            await client.CreateTopicAsync(topic, cancellationToken);
        }
        foreach (var subscription in settings)
        {
            await client.CreateSubscriptionAsync(subscription, cancellationToken);
        }
        logger.LogInformation("Pub/Sub topology of project {ProjectId} is in place", client.ProjectId);
    }
}
