using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client.Exceptions;

namespace CartoSelfHosted.Platform.Messaging.RabbitMq;

/// <summary>
/// RabbitMQ as the platform's broker, through MassTransit: a message goes to its topic's exchange as a
/// <see cref="PlatformMessage"/>, persistent and mandatory, and a send returns once RabbitMQ confirmed it (publisher
/// confirms). A message no queue takes (the topology lost: a broker replaced or reset) comes back as a failure, and
/// the topology is declared again before the outbox tries once more.
/// </summary>
public sealed class RabbitMqBroker(IServiceProvider services, RabbitMqTopology topology) : IMessageBroker
{
    // Found on first use: the bus is built with the subscriptions' endpoints, whose dead letters go through this broker.
    private IBus Bus => field ??= services.GetRequiredService<IBus>();

    /// <summary>A send waits for a connection while RabbitMQ is away; the outbox would rather hear so and try again.</summary>
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Sends in flight at once: confirms come back in batches, so many at once cost little more than one.</summary>
    private const int SendsInFlight = 64;

    public string System => "rabbitmq";

    public string Name => MessageBrokers.RabbitMq;

    public Task EnsureTopologyAsync(CancellationToken cancellationToken) => topology.EnsureAsync(cancellationToken);

    /// <summary>Messages of one ordering key go one after another, in order; the rest side by side.</summary>
    public async Task PublishAsync(string topic, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PublishTimeout);
        try
        {
            var endpoint = await Bus.GetSendEndpoint(new Uri($"exchange:{topic}"));
            var sequences = messages.Select((message, index) => (message, index))
                .GroupBy(item => item.message.OrderingKey ?? $"\0{item.index}", StringComparer.Ordinal)
                .Select(group => group.Select(item => item.message).ToArray());
            await Parallel.ForEachAsync(sequences, new ParallelOptions { MaxDegreeOfParallelism = SendsInFlight, CancellationToken = timeout.Token },
                async (sequence, sending) =>
                {
                    foreach (var message in sequence)
                    {
                        await endpoint.Send(ToPlatformMessage(message), context =>
                        {
                            context.MessageId = MessageIdOf(message);
                            if (context is RabbitMqSendContext rabbitMq)
                            {
                                rabbitMq.Mandatory = true;
                            }
                        }, sending);
                    }
                });
        }
        catch (Exception ex) when (ex is MessageReturnedException || ex.InnerException is MessageReturnedException
            || ex is RabbitMqConnectionException or OperationInterruptedException)
        {
            topology.Invalidate();
            throw;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"RabbitMQ did not confirm the messages to {topic} within {PublishTimeout.TotalSeconds} s.");
        }
    }

    public bool IsFailedCall(Exception exception) =>
        exception is MassTransitException or RabbitMQClientException or OperationInterruptedException or TimeoutException or IOException;

    private static PlatformMessage ToPlatformMessage(OutgoingMessage message) =>
        new(Encoding.UTF8.GetString(message.Data), new Dictionary<string, string>(message.Attributes), message.OrderingKey);

    /// <summary>The platform's id where it has one (the broker's tools then show it), a new one otherwise (a dead letter of a message without).</summary>
    private static Guid MessageIdOf(OutgoingMessage message) =>
        message.Attributes.TryGetValue(MessageAttributes.MessageId, out var id) && Guid.TryParse(id, out var messageId)
            ? messageId
            : NewId.NextGuid();
}
