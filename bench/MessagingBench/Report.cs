using System.Globalization;

namespace CartoSelfHosted.MessagingBench;

public static class Report
{
    public static void Print(Throughput raw, Throughput platform, Latency rawLatency, Latency lightLoad, UnderLoad underLoad)
    {
        var ratio = platform.DeliveredPerSecond / raw.DeliveredPerSecond;
        static string Rate(double perSecond) => string.Create(CultureInfo.InvariantCulture, $"{perSecond,8:N0} msg/s");
        static string Times(Latency latency) => string.Create(CultureInfo.InvariantCulture, $"{latency.P50,6:F1} / {latency.P99,6:F1} ms");

        Console.WriteLine();
        Console.WriteLine("  median of the rounds                   platform (outbox → handler)   emulator alone");
        Console.WriteLine($"  publish throughput                     {Rate(platform.PublishPerSecond),-30}{Rate(raw.PublishPerSecond)}");
        Console.WriteLine($"  end-to-end vs pull+ack throughput      {Rate(platform.DeliveredPerSecond),-30}{Rate(raw.DeliveredPerSecond)}");
        Console.WriteLine($"  latency p50 / p99, one every 20 ms     {Times(lightLoad),-30}{Times(rawLatency)}");
        Console.WriteLine($"  under full load (8 writers, 1 msg each): latency p50 / p99 {Times(underLoad.Latency)}, " +
            string.Create(CultureInfo.InvariantCulture, $"committed {underLoad.CommittedPerSecond:N0} msg/s, handled {underLoad.HandledPerSecond:N0} msg/s"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  end-to-end / raw pull+ack: {ratio:P0} (goal ≥ 50%)   p50 latency: {lightLoad.P50:F1} ms (goal < 100 ms)"));
    }
}
