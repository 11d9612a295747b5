using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Messaging;

/// <summary>
/// What a messaging test runs against: a fresh, migrated metadata database and a space of its own on a broker (a
/// <see cref="TestBroker"/>: a Pub/Sub project on the emulator, a virtual host on RabbitMQ), plus the hosts it starts:
/// services configured like the platform's, with the outbox and subscribers under test.
/// </summary>
public sealed class MessagingEnvironment : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];

    private MessagingEnvironment(string metadata, TestBroker broker)
    {
        Metadata = metadata;
        Broker = broker;
        DataSource = NpgsqlDataSource.Create(metadata);
    }

    public string Metadata { get; }

    /// <summary>The test's own view of the broker, to read a dead-letter subscription.</summary>
    public TestBroker Broker { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>An environment on <paramref name="broker"/> (<c>pubsub</c>, <c>rabbitmq</c>), or on one that is down, made with <see cref="TestBroker.CreateDown"/>.</summary>
    public static async Task<MessagingEnvironment> CreateAsync(string purpose, string broker, bool brokerDown = false)
    {
        var metadata = await TestServers.CreateDatabaseAsync(purpose);
        var environment = new MessagingEnvironment(metadata, brokerDown ? TestBroker.CreateDown(broker) : await TestBroker.CreateAsync(broker));
        await new MetadataMigrator(environment.DataSource, NullLogger<MetadataMigrator>.Instance).MigrateAsync(CancellationToken.None);
        await using var connection = await environment.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(CountedHandler.TableSql, CancellationToken.None);
        return environment;
    }

    /// <summary>Starts a host with the platform's messaging settings, faster retries, and whatever <paramref name="configure"/> adds.</summary>
    public async Task<IHost> StartHostAsync(Action<IHostApplicationBuilder> configure, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:metadata"] = Metadata,
            ["Messaging:MinRetryDelay"] = "00:00:00.2",
            ["Messaging:MaxRetryDelay"] = "00:00:01",
        });
        builder.Configuration.AddInMemoryCollection(Broker.Settings);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        configure(builder);
        var host = builder.Build();
        _hosts.Add(host);
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    /// <summary>Writes the messages to the outbox in one transaction, as an API's request would.</summary>
    public async Task EnqueueAsync<TMessage>(string topic, IEnumerable<TMessage> messages, string? orderingKey = null)
        where TMessage : IMessage
    {
        await using var connection = await DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        foreach (var message in messages)
        {
            await OutboxWriter.EnqueueAsync(transaction, topic, message, orderingKey, TestContext.Current.CancellationToken);
        }
        await transaction.CommitAsync(TestContext.Current.CancellationToken);
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public async Task<List<T>> ColumnAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var values = new List<T>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            values.Add(reader.GetFieldValue<T>(0));
        }
        return values;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }
        await Broker.DisposeAsync();
        await DataSource.DisposeAsync();
    }
}
