using System.Diagnostics;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Messaging.Subscriber;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CartoSelfHosted.MessagingBench;

public sealed record BenchMessage(int Sequence, string Padding) : IMessage
{
    public const int BodyBytes = 100;

    public static string MessageType => "bench";

    public static BenchMessage Create(int sequence) => new(sequence, new string('x', BodyBytes - 30));
}

/// <summary>Records when each message was handled, in the inbox's transaction: the smallest real handler.</summary>
public sealed class BenchHandler : IMessageHandler<BenchMessage>
{
    public Task HandleAsync(BenchMessage message, MessageContext context, CancellationToken cancellationToken) =>
        context.Connection.ExecuteAsync("INSERT INTO bench_handled (message_id) VALUES ($1)", cancellationToken, context.MessageId);
}

/// <summary>What a load under full speed gave: latency from commit to handled, and the rate it all went through.</summary>
public sealed record UnderLoad(Latency Latency, double CommittedPerSecond, double HandledPerSecond);

/// <summary>
/// The platform's path as an API and a worker use it: messages committed through the outbox, dispatched, pulled by the
/// subscriber and handled in the inbox's transaction. Times come from the database clock: the outbox row's creation
/// (the API's commit) to the handler's insert. The same code on either broker: <c>Messaging:Broker</c> alone differs,
/// and each measurement uses a space of its own on it (a Pub/Sub project, a RabbitMQ virtual host).
/// </summary>
public sealed class PlatformPath : IAsyncDisposable
{
    private const int Writers = 8;

    /// <summary>What the subscriber holds at once; the raw RabbitMQ consumer's prefetch is the same.</summary>
    public const int MaxOutstandingMessages = 1000;

    private readonly BenchServers _servers;
    private readonly string _metadata;
    private readonly NpgsqlDataSource _dataSource;

    private readonly bool _commitTogether;

    private PlatformPath(BenchServers servers, string broker, string metadata, bool commitTogether)
    {
        _servers = servers;
        Broker = broker;
        _metadata = metadata;
        _commitTogether = commitTogether;
        _dataSource = NpgsqlDataSource.Create(metadata);
    }

    /// <summary><c>pubsub</c> or <c>rabbitmq</c>: the value of <c>Messaging:Broker</c>.</summary>
    public string Broker { get; }

    /// <summary>
    /// A metadata database of its own, so the two brokers' paths never share an outbox. <paramref name="commitTogether"/>:
    /// the subscriber commits waiting messages together (<c>CommitTogether</c>), as a subscription of short handlers does.
    /// </summary>
    public static async Task<PlatformPath> CreateAsync(BenchServers servers, string broker, bool commitTogether)
    {
        var path = new PlatformPath(servers, broker, await servers.CreateDatabaseAsync(), commitTogether);
        await new MetadataMigrator(path._dataSource, NullLogger<MetadataMigrator>.Instance).MigrateAsync(CancellationToken.None);
        await path.ExecuteAsync("CREATE TABLE bench_handled (message_id uuid PRIMARY KEY, handled_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        return path;
    }

    /// <summary>A backlog: requests committed while no service ran, then dispatched, delivered and handled at full speed.</summary>
    public async Task<Throughput> MeasureBacklogAsync(int messages)
    {
        await EnqueueBacklogAsync(messages);
        await using var space = await _servers.CreateSpaceAsync(Broker, "platform");

        var started = await ScalarAsync<DateTime>("SELECT clock_timestamp()");
        using var host = await StartHostAsync(space);
        await WaitHandledAsync(messages);
        var published = await ScalarAsync<DateTime>("SELECT max(sent_at) FROM outbox_messages");
        var handled = await ScalarAsync<DateTime>("SELECT max(handled_at) FROM bench_handled");
        await host.StopAsync();
        return new Throughput(messages / (published - started).TotalSeconds, messages / (handled - started).TotalSeconds);
    }

    /// <summary>
    /// The same backlog, each stage on its own: the dispatcher alone publishes it (no subscriber yet: the broker keeps
    /// it), then the subscriber alone handles it. Neither shares the machine with the other, so each rate is the
    /// stage's own, to set beside the broker's raw publish and consume+ack.
    /// </summary>
    public async Task<Throughput> MeasureStagesAsync(int messages)
    {
        await EnqueueBacklogAsync(messages);
        await using var space = await _servers.CreateSpaceAsync(Broker, "platform");

        var started = await ScalarAsync<DateTime>("SELECT clock_timestamp()");
        using (var dispatcher = await StartHostAsync(space, subscribe: false))
        {
            await WaitUntilAsync("SELECT count(*) FROM outbox_messages WHERE sent_at IS NOT NULL", messages);
            await dispatcher.StopAsync();
        }
        var published = await ScalarAsync<DateTime>("SELECT max(sent_at) FROM outbox_messages");

        var subscribing = await ScalarAsync<DateTime>("SELECT clock_timestamp()");
        using var subscriber = await StartHostAsync(space, dispatch: false);
        await WaitHandledAsync(messages);
        var handled = await ScalarAsync<DateTime>("SELECT max(handled_at) FROM bench_handled");
        await subscriber.StopAsync();
        return new Throughput(messages / (published - started).TotalSeconds, messages / (handled - subscribing).TotalSeconds);
    }

    /// <summary>One request every <paramref name="gap"/>: nothing queues.</summary>
    public async Task<Latency> MeasureLightLoadAsync(int count, TimeSpan gap)
    {
        await ResetAsync();
        await using var space = await _servers.CreateSpaceAsync(Broker, "platform");
        using var host = await StartHostAsync(space);
        for (var sequence = 0; sequence < count; sequence++)
        {
            await EnqueueAsync([sequence]);
            await Task.Delay(gap);
        }
        await WaitHandledAsync(count);
        await host.StopAsync();
        return Latency.Of(await ReadLatenciesAsync());
    }

    /// <summary>Eight writers commit one message per request as fast as they can, while it all flows.</summary>
    public async Task<UnderLoad> MeasureUnderLoadAsync(int messages)
    {
        await ResetAsync();
        await using var space = await _servers.CreateSpaceAsync(Broker, "platform");
        using var host = await StartHostAsync(space);
        var next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            int sequence;
            while ((sequence = Interlocked.Increment(ref next)) <= messages)
            {
                await EnqueueAsync([sequence]);
            }
        })));
        var committed = clock.Elapsed;
        await WaitHandledAsync(messages);
        var handled = clock.Elapsed;
        await host.StopAsync();
        return new UnderLoad(Latency.Of(await ReadLatenciesAsync()), messages / committed.TotalSeconds, messages / handled.TotalSeconds);
    }

    public async ValueTask DisposeAsync() => await _dataSource.DisposeAsync();

    /// <summary>A service as a worker runs it: the outbox's dispatcher and the subscriber, or one of them.</summary>
    private async Task<IHost> StartHostAsync(BrokerSpace space, bool dispatch = true, bool subscribe = true)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(space.Settings)
        {
            ["ConnectionStrings:metadata"] = _metadata,
            ["Messaging:MaxConcurrency"] = "16",
            ["Messaging:MaxOutstandingMessages"] = MaxOutstandingMessages.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        if (dispatch)
        {
            builder.AddOutbox();
        }
        if (subscribe)
        {
            var subscriber = builder.AddSubscriber(MessagingTopology.Subscriptions.SqlWorker);
            if (_commitTogether)
            {
                subscriber.CommitTogether();
            }
            subscriber.Handle<BenchMessage, BenchHandler>();
        }
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Requests committed while no service runs: 100 messages each, eight writers.</summary>
    private async Task EnqueueBacklogAsync(int messages)
    {
        await ResetAsync();
        await Parallel.ForEachAsync(Enumerable.Range(0, (messages + 99) / 100), new ParallelOptions { MaxDegreeOfParallelism = Writers },
            async (request, _) => await EnqueueAsync(Enumerable.Range(request * 100, Math.Min(100, messages - request * 100))));
    }

    private Task ResetAsync() => ExecuteAsync("TRUNCATE bench_handled, outbox_messages, inbox_messages");

    /// <summary>One request of the API: its messages committed in one transaction.</summary>
    private async Task EnqueueAsync(IEnumerable<int> sequences)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var sequence in sequences)
        {
            await OutboxWriter.EnqueueAsync(transaction, MessagingTopology.Topics.SqlJobs, BenchMessage.Create(sequence));
        }
        await transaction.CommitAsync();
    }

    private Task WaitHandledAsync(int count) => WaitUntilAsync("SELECT count(*) FROM bench_handled", count);

    /// <summary>Until the count <paramref name="countSql"/> reads reaches <paramref name="count"/>.</summary>
    private async Task WaitUntilAsync(string countSql, int count)
    {
        var deadline = Stopwatch.StartNew();
        await using var command = _dataSource.CreateCommand(countSql);
        while ((long)(await command.ExecuteScalarAsync())! < count)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(10))
            {
                throw new TimeoutException($"{countSql}: fewer than {count} after 10 minutes");
            }
            await Task.Delay(50);
        }
    }

    private async Task<List<double>> ReadLatenciesAsync()
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT extract(epoch FROM h.handled_at - o.created_at) * 1000 FROM outbox_messages o JOIN bench_handled h USING (message_id)");
        await using var reader = await command.ExecuteReaderAsync();
        var latencies = new List<double>();
        while (await reader.ReadAsync())
        {
            latencies.Add((double)reader.GetDecimal(0));
        }
        return latencies;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, CancellationToken.None);
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
