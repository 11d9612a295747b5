using CartoSelfHosted.MessagingBench;
using CartoSelfHosted.Platform.Messaging;

// Usage: dotnet MessagingBench.dll [messages] [rounds] [together|alone]   (bench/messaging.sh's servers.env names the servers)
var messages = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
var commitTogether = args.Length <= 2 || args[2] switch
{
    "together" => true,
    "alone" => false,
    var other => throw new ArgumentException($"The third argument is 'together' or 'alone', not '{other}'."),
};
var servers = BenchServers.FromEnvironment();
Console.WriteLine($"messaging benchmark: {messages:N0} messages of {BenchMessage.BodyBytes} bytes per round, {rounds} rounds, " +
    $"emulator, RabbitMQ and PostgreSQL on this machine ({Environment.ProcessorCount} cores); the subscriber commits " +
    (commitTogether ? "waiting messages together" : "each message alone"));

await using var pubSub = await PlatformPath.CreateAsync(servers, MessageBrokers.PubSub, commitTogether);
await using var rabbitMq = await PlatformPath.CreateAsync(servers, MessageBrokers.RabbitMq, commitTogether);
var sides = new[]
{
    new Side("emulator alone", () => RawEmulator.MeasureThroughputAsync(servers, messages)),
    new Side("Pub/Sub path", () => pubSub.MeasureBacklogAsync(messages)),
    new Side("RabbitMQ alone", () => RawRabbitMq.MeasureThroughputAsync(servers, messages)),
    new Side("RabbitMQ path", () => rabbitMq.MeasureBacklogAsync(messages)),
    new Side("Pub/Sub stages", () => pubSub.MeasureStagesAsync(messages)),
    new Side("RabbitMQ stages", () => rabbitMq.MeasureStagesAsync(messages)),
};

// The emulator is a JVM, and every .NET path JIT-compiles its code: the first thousands of messages run slower.
Console.WriteLine("  warming up every path…");
await RawEmulator.MeasureThroughputAsync(servers, messages / 4);
await pubSub.MeasureBacklogAsync(messages / 4);
await RawRabbitMq.MeasureThroughputAsync(servers, messages / 4);
await rabbitMq.MeasureBacklogAsync(messages / 4);

// Side by side, every other round in reverse order, so none keeps the quieter turn.
for (var round = 1; round <= rounds; round++)
{
    foreach (var side in round % 2 == 1 ? sides : Enumerable.Reverse(sides))
    {
        side.Rounds.Add(await side.Measure());
    }
    Console.WriteLine($"  round {round}:");
    foreach (var side in sides)
    {
        Console.WriteLine($"    {side.Name,-16} {side.Rounds[^1]}");
    }
}

var gap = TimeSpan.FromMilliseconds(20);
Report.Print(
    new BrokerFigures("Pub/Sub", "emulator", Throughput.Median(sides[0].Rounds), Throughput.Median(sides[1].Rounds), Throughput.Median(sides[4].Rounds),
        await RawEmulator.MeasureLatencyAsync(servers, count: 300, gap),
        await pubSub.MeasureLightLoadAsync(count: 300, gap),
        await pubSub.MeasureUnderLoadAsync(messages),
        LatencyGoalMilliseconds: 100),
    new BrokerFigures("RabbitMQ", "RabbitMQ", Throughput.Median(sides[2].Rounds), Throughput.Median(sides[3].Rounds), Throughput.Median(sides[5].Rounds),
        await RawRabbitMq.MeasureLatencyAsync(servers, count: 300, gap),
        await rabbitMq.MeasureLightLoadAsync(count: 300, gap),
        await rabbitMq.MeasureUnderLoadAsync(messages),
        LatencyGoalMilliseconds: 50));

/// <summary>One of the measured paths and its rounds.</summary>
internal sealed record Side(string Name, Func<Task<Throughput>> Measure)
{
    public List<Throughput> Rounds { get; } = [];
}
