using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using CartoSelfHosted.Platform.Messaging.Topology;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace CartoSelfHosted.MessagingBench;

/// <summary>
/// RabbitMQ on its own, on RabbitMQ's client alone, on the queue the platform consumes (declared by the platform's
/// <c>RabbitMqTopology</c> in a virtual host of its own: a quorum queue bound to the topic's fanout exchange): persistent
/// messages published to the exchange with publisher confirms, 1,000 at a time in flight, each batch awaiting its
/// confirms; then consumed with the subscriber's prefetch and acknowledged one by one, as MassTransit does. Latency is
/// publish-one → the waiting consumer has it.
/// </summary>
public static class RawRabbitMq
{
    private static readonly SubscriptionDefinition Subscription = MessagingTopology.Subscriptions.SqlWorker;

    private const int PublishBatch = 1000;

    public static async Task<Throughput> MeasureThroughputAsync(BenchServers servers, int messages)
    {
        await using var virtualHost = await servers.CreateVirtualHostAsync("raw");
        await using var connection = await new ConnectionFactory { Uri = virtualHost.Uri }.CreateConnectionAsync();
        var body = new byte[BenchMessage.BodyBytes];

        await using var publisher = await CreatePublisherAsync(connection);

        var publish = Stopwatch.StartNew();
        for (var sent = 0; sent < messages; sent += PublishBatch)
        {
            await Task.WhenAll(Enumerable.Range(0, Math.Min(PublishBatch, messages - sent))
                .Select(_ => PublishAsync(publisher, body).AsTask()));
        }
        var publishPerSecond = messages / publish.Elapsed.TotalSeconds;

        var consume = Stopwatch.StartNew();
        await ConsumeAsync(connection, messages, (_, _) => { });
        return new Throughput(publishPerSecond, messages / consume.Elapsed.TotalSeconds);
    }

    /// <summary>One message at a time, each published while a consumer waits for it.</summary>
    public static async Task<Latency> MeasureLatencyAsync(BenchServers servers, int count, TimeSpan gap)
    {
        await using var virtualHost = await servers.CreateVirtualHostAsync("raw");
        await using var connection = await new ConnectionFactory { Uri = virtualHost.Uri }.CreateConnectionAsync();
        await using var publisher = await CreatePublisherAsync(connection);
        var sent = new ConcurrentDictionary<int, long>();
        var latencies = new ConcurrentBag<double>();
        var consumer = ConsumeAsync(connection, count,
            (body, received) => latencies.Add(Stopwatch.GetElapsedTime(sent[BinaryPrimitives.ReadInt32LittleEndian(body)], received).TotalMilliseconds));
        for (var n = 0; n < count; n++)
        {
            var body = new byte[BenchMessage.BodyBytes];
            BinaryPrimitives.WriteInt32LittleEndian(body, n);
            sent[n] = Stopwatch.GetTimestamp();
            await PublishAsync(publisher, body);
            await Task.Delay(gap);
        }
        await consumer;
        return Latency.Of(latencies.ToArray());
    }

    /// <summary>
    /// Confirms tracked by the client, so a publish completes once RabbitMQ holds the message; without the client's
    /// default throttle (which delays publishes past 64 outstanding): the batches bound what is in flight.
    /// </summary>
    private static Task<IChannel> CreatePublisherAsync(IConnection connection) =>
        connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true,
            outstandingPublisherConfirmationsRateLimiter: null));

    private static ValueTask PublishAsync(IChannel channel, byte[] body) =>
        channel.BasicPublishAsync(Subscription.Topic, "", mandatory: false, new BasicProperties { Persistent = true }, body);

    /// <summary>Consumes <paramref name="count"/> messages, acknowledging each, and hands each body and the time it arrived to <paramref name="received"/>.</summary>
    private static async Task ConsumeAsync(IConnection connection, int count, Action<ReadOnlySpan<byte>, long> received)
    {
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, PlatformPath.MaxOutstandingMessages, global: false);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The client hands deliveries over one at a time (dispatch concurrency 1): a plain counter is enough.
        var acknowledged = 0;
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            received(delivery.Body.Span, Stopwatch.GetTimestamp());
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            if (++acknowledged == count)
            {
                done.TrySetResult();
            }
        };
        var tag = await channel.BasicConsumeAsync(Subscription.Name, autoAck: false, consumer);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(10));
        await channel.BasicCancelAsync(tag);
    }
}
