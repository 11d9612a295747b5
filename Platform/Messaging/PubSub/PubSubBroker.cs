using CartoSelfHosted.Platform.Messaging.Topology;

namespace CartoSelfHosted.Platform.Messaging.PubSub;

/// <summary>Google Cloud Pub/Sub (or its emulator) as the platform's broker.</summary>
public sealed class PubSubBroker(PubSubClient client, PubSubTopology topology) : IMessageBroker
{
    // The broker takes 10 MB per publish request; bodies go base64 (4/3) with their attributes.
    private const int MaxRequestBytes = 6 * 1024 * 1024;

    public string System => "gcp_pubsub";

    public string Name => MessageBrokers.PubSub;

    public Task EnsureTopologyAsync(CancellationToken cancellationToken) => topology.EnsureAsync(cancellationToken);

    /// <summary>In requests of up to <see cref="MaxRequestBytes"/>, one after another, so a key's order holds.</summary>
    public async Task PublishAsync(string topic, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        var index = 0;
        try
        {
            while (index < messages.Count)
            {
                var batch = new List<OutgoingMessage>();
                var bytes = 0;
                while (index < messages.Count && (batch.Count == 0 || bytes + messages[index].Data.Length < MaxRequestBytes))
                {
                    bytes += messages[index].Data.Length;
                    batch.Add(messages[index++]);
                }
                await client.PublishAsync(topic, batch, cancellationToken);
            }
        }
        catch (PubSubException ex) when (ex.IsNotFound)
        {
            // An emulator restarted empty: the topology is created again before the next try.
            topology.Invalidate();
            throw;
        }
    }

    public bool IsFailedCall(Exception exception) => PubSubClient.IsFailedCall(exception);
}
