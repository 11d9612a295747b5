using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.PubSub;
using CartoSelfHosted.Platform.Messaging.Topology;

namespace CartoSelfHosted.MessagingBench;

/// <summary>
/// The emulator on its own, through the same REST calls the platform makes and on a subscription set up like the
/// platform's (ordering, dead-letter policy), with nothing around them: publish in batches of 1,000 (four requests in
/// flight), then pull 1,000 at a time and acknowledge each batch. Latency is publish-one → the waiting pull has it.
/// </summary>
public static class RawEmulator
{
    private static readonly SubscriptionDefinition Subscription = MessagingTopology.Subscriptions.SqlWorker;

    public static async Task<Throughput> MeasureThroughputAsync(BenchServers servers, int messages)
    {
        using var client = await servers.CreateProjectAsync("raw");
        var body = new byte[BenchMessage.BodyBytes];
        var attributes = new Dictionary<string, string> { ["message-type"] = "bench" };

        var publish = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, (messages + 999) / 1000), new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (batch, cancellationToken) => await client.PublishAsync(Subscription.Topic,
                Enumerable.Range(0, Math.Min(1000, messages - batch * 1000)).Select(_ => new OutgoingMessage(body, attributes)).ToArray(),
                cancellationToken));
        var publishPerSecond = messages / publish.Elapsed.TotalSeconds;

        var pull = Stopwatch.StartNew();
        var received = 0;
        while (received < messages)
        {
            var batch = await client.PullAsync(Subscription.Name, 1000, CancellationToken.None);
            await client.AcknowledgeAsync(Subscription.Name, batch.Select(message => message.AckId).ToArray(), CancellationToken.None);
            received += batch.Count;
        }
        return new Throughput(publishPerSecond, messages / pull.Elapsed.TotalSeconds);
    }

    /// <summary>One message at a time, each published while a pull waits for it.</summary>
    public static async Task<Latency> MeasureLatencyAsync(BenchServers servers, int count, TimeSpan gap)
    {
        using var client = await servers.CreateProjectAsync("raw");
        var sent = new ConcurrentDictionary<string, long>();
        var latencies = new List<double>();
        var consumer = Task.Run(async () =>
        {
            while (latencies.Count < count)
            {
                var batch = await client.PullAsync(Subscription.Name, 100, CancellationToken.None);
                var now = Stopwatch.GetTimestamp();
                latencies.AddRange(batch.Select(message => Stopwatch.GetElapsedTime(sent[message.Attributes["n"]], now).TotalMilliseconds));
                await client.AcknowledgeAsync(Subscription.Name, batch.Select(message => message.AckId).ToArray(), CancellationToken.None);
            }
        });
        for (var n = 0; n < count; n++)
        {
            var key = n.ToString(CultureInfo.InvariantCulture);
            sent[key] = Stopwatch.GetTimestamp();
            await client.PublishAsync(Subscription.Topic,
                [new OutgoingMessage(new byte[BenchMessage.BodyBytes], new Dictionary<string, string> { ["n"] = key })], CancellationToken.None);
            await Task.Delay(gap);
        }
        await consumer;
        return Latency.Of(latencies);
    }
}
