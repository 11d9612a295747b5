using System.Globalization;
using System.Text;
using CartoSelfHosted.Platform.Messaging.Subscriber;
using MassTransit;

namespace CartoSelfHosted.Platform.Messaging.RabbitMq;

/// <summary>
/// One subscription's queue, consumed through MassTransit: each delivery goes to the <see cref="SubscriptionProcessor"/>
/// (inbox, handler, dead letters — as on Pub/Sub); MassTransit runs at most <see cref="MessagingOptions.MaxConcurrency"/>
/// at once. A message whose handler failed is tried again here after the growing delay, still unacknowledged, so nothing of its
/// ordering key overtakes it and a worker killed meanwhile leaves it to RabbitMQ to deliver again. Returning
/// acknowledges; throwing (only when stopping) hands the message back to the queue.
/// </summary>
internal sealed class RabbitMqSubscription(SubscriptionProcessor processor, CancellationToken stopping)
{
    public Topology.SubscriptionDefinition Subscription => processor.Subscription;

    public async Task HandleAsync(ConsumeContext<PlatformMessage> context)
    {
        var message = context.Message;
        var incoming = new IncomingMessage(context.MessageId?.ToString() ?? "", Encoding.UTF8.GetBytes(message.Body),
            message.Attributes ?? [], message.OrderingKey);
        var attempt = DeliveryAttempt(context.ReceiveContext);
        while (true)
        {
            var outcome = await processor.ProcessAsync(incoming, attempt, context.CancellationToken);
            if (outcome.Settled)
            {
                return;
            }
            if (outcome.RetryAfter is not { } delay)
            {
                throw new OperationCanceledException("Stopping: the message goes back to its queue.");
            }
            await Task.Delay(delay, stopping);
            attempt++;
        }
    }

    /// <summary>1 on the first delivery; a quorum queue counts the deliveries before (a worker that stopped or crashed holding it).</summary>
    private static int DeliveryAttempt(ReceiveContext context) =>
        context.TransportHeaders.TryGetHeader("x-delivery-count", out var count) && count is not null
            ? Convert.ToInt32(count, CultureInfo.InvariantCulture) + 1
            : context.Redelivered ? 2 : 1;
}
