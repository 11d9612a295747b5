using CartoSelfHosted.MessagingBench;

// Usage: dotnet MessagingBench.dll [messages] [rounds]   (TEST_POSTGRES and TEST_PUBSUB_EMULATOR_HOST name the servers)
var messages = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
var servers = BenchServers.FromEnvironment();
Console.WriteLine($"messaging benchmark: {messages:N0} messages of {BenchMessage.BodyBytes} bytes per round, {rounds} rounds, " +
    $"emulator and PostgreSQL on this machine ({Environment.ProcessorCount} cores)");

await using var platform = await PlatformPath.CreateAsync(servers);

// The emulator is a JVM: the first thousands of messages run slower on both paths.
Console.WriteLine("  warming up both paths…");
await RawEmulator.MeasureThroughputAsync(servers, messages / 4);
await platform.MeasureBacklogAsync(messages / 4);

// Side by side, alternating, so neither path gets the quieter machine.
var raw = new List<Throughput>();
var measured = new List<Throughput>();
for (var round = 1; round <= rounds; round++)
{
    raw.Add(await RawEmulator.MeasureThroughputAsync(servers, messages));
    measured.Add(await platform.MeasureBacklogAsync(messages));
    Console.WriteLine($"  round {round}: emulator alone {raw[^1]}; platform {measured[^1]}");
}

var rawLatency = await RawEmulator.MeasureLatencyAsync(servers, count: 300, gap: TimeSpan.FromMilliseconds(20));
var lightLoad = await platform.MeasureLightLoadAsync(count: 300, gap: TimeSpan.FromMilliseconds(20));
var underLoad = await platform.MeasureUnderLoadAsync(messages);
Report.Print(Throughput.Median(raw), Throughput.Median(measured), rawLatency, lightLoad, underLoad);
