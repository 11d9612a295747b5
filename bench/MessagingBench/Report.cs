using System.Globalization;

namespace CartoSelfHosted.MessagingBench;

/// <summary>
/// One broker's figures: its raw rates and latency (the reference), the platform's path on it end to end and stage by
/// stage (<see cref="PlatformPath.MeasureStagesAsync"/>), and the goal its issue set for the p50 latency (Pub/Sub's
/// "Messaging backbone": 100 ms; RabbitMQ's issue 20: 50 ms).
/// </summary>
public sealed record BrokerFigures(string Broker, string RawName, Throughput Raw, Throughput Path, Throughput Stages, Latency RawLatency,
    Latency LightLoad, UnderLoad UnderLoad, double LatencyGoalMilliseconds);

public static class Report
{
    private const string Bar = " │ ";

    public static void Print(BrokerFigures pubSub, BrokerFigures rabbitMq)
    {
        Console.WriteLine();
        Console.WriteLine($"  {"median of the rounds",-35}" + string.Join(Bar, [.. Heads(pubSub), .. Heads(rabbitMq)]) + Bar + "RabbitMQ / Pub/Sub");
        Row("publish throughput", figures => (Rate(figures.Path.PublishPerSecond), Rate(figures.Raw.PublishPerSecond),
            Ratio(figures.Path.PublishPerSecond / figures.Raw.PublishPerSecond)), rabbitMq.Path.PublishPerSecond / pubSub.Path.PublishPerSecond);
        Row("end-to-end vs consume+ack", figures => (Rate(figures.Path.DeliveredPerSecond), Rate(figures.Raw.DeliveredPerSecond),
            Ratio(figures.Path.DeliveredPerSecond / figures.Raw.DeliveredPerSecond)), rabbitMq.Path.DeliveredPerSecond / pubSub.Path.DeliveredPerSecond);
        Row("publish, dispatcher alone", figures => (Rate(figures.Stages.PublishPerSecond), Rate(figures.Raw.PublishPerSecond),
            Ratio(figures.Stages.PublishPerSecond / figures.Raw.PublishPerSecond)), rabbitMq.Stages.PublishPerSecond / pubSub.Stages.PublishPerSecond);
        Row("handled, subscriber alone", figures => (Rate(figures.Stages.DeliveredPerSecond), Rate(figures.Raw.DeliveredPerSecond),
            Ratio(figures.Stages.DeliveredPerSecond / figures.Raw.DeliveredPerSecond)), rabbitMq.Stages.DeliveredPerSecond / pubSub.Stages.DeliveredPerSecond);
        Row("latency p50, one every 20 ms", figures => (Milliseconds(figures.LightLoad.P50), Milliseconds(figures.RawLatency.P50),
            Ratio(figures.LightLoad.P50 / figures.RawLatency.P50)), rabbitMq.LightLoad.P50 / pubSub.LightLoad.P50);
        Row("latency p99, one every 20 ms", figures => (Milliseconds(figures.LightLoad.P99), Milliseconds(figures.RawLatency.P99),
            Ratio(figures.LightLoad.P99 / figures.RawLatency.P99)), rabbitMq.LightLoad.P99 / pubSub.LightLoad.P99);

        void Row(string measure, Func<BrokerFigures, (string Path, string Raw, string Ratio)> cells, double acrossBrokers)
        {
            var (pubSubPath, pubSubRaw, pubSubRatio) = cells(pubSub);
            var (rabbitMqPath, rabbitMqRaw, rabbitMqRatio) = cells(rabbitMq);
            Console.WriteLine($"  {measure,-35}{pubSubPath,-16}{Bar}{pubSubRaw,-16}{Bar}{pubSubRatio,-8}{Bar}" +
                $"{rabbitMqPath,-16}{Bar}{rabbitMqRaw,-16}{Bar}{rabbitMqRatio,-8}{Bar}{Ratio(acrossBrokers)}");
        }

        Console.WriteLine();
        Console.WriteLine("  under full load (8 writers, 1 msg each), no raw reference:");
        foreach (var figures in new[] { pubSub, rabbitMq })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {figures.Broker + " path",-14} latency p50 / p99 {figures.UnderLoad.Latency.P50,7:F1} / {figures.UnderLoad.Latency.P99,7:F1} ms, " +
                $"committed {figures.UnderLoad.CommittedPerSecond,6:N0} msg/s, handled {figures.UnderLoad.HandledPerSecond,6:N0} msg/s"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    RabbitMQ / Pub/Sub: latency p50 {Ratio(rabbitMq.UnderLoad.Latency.P50 / pubSub.UnderLoad.Latency.P50)}, " +
            $"p99 {Ratio(rabbitMq.UnderLoad.Latency.P99 / pubSub.UnderLoad.Latency.P99)}, " +
            $"handled {Ratio(rabbitMq.UnderLoad.HandledPerSecond / pubSub.UnderLoad.HandledPerSecond)}"));

        Console.WriteLine();
        foreach (var figures in new[] { pubSub, rabbitMq })
        {
            var ratio = figures.Path.DeliveredPerSecond / figures.Raw.DeliveredPerSecond;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {figures.Broker,-9} end-to-end / raw consume+ack: {ratio,4:P0} (goal ≥ 50%: {Verdict(ratio >= 0.5)})   " +
                $"p50 latency: {figures.LightLoad.P50,5:F1} ms (goal < {figures.LatencyGoalMilliseconds:F0} ms: {Verdict(figures.LightLoad.P50 < figures.LatencyGoalMilliseconds)})"));
        }
    }

    private static IEnumerable<string> Heads(BrokerFigures figures) =>
        [$"{figures.Broker + " path",-16}", $"{figures.RawName + " alone",-16}", $"{"path/raw",-8}"];

    private static string Rate(double perSecond) => string.Create(CultureInfo.InvariantCulture, $"{perSecond,7:N0} msg/s");

    private static string Milliseconds(double milliseconds) => string.Create(CultureInfo.InvariantCulture, $"{milliseconds,7:F1} ms");

    private static string Ratio(double ratio) => string.Create(CultureInfo.InvariantCulture, $"{ratio,5:F2}×");

    private static string Verdict(bool met) => met ? "met" : "missed";
}
