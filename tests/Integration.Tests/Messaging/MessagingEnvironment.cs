using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Messaging.PubSub;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Messaging;

/// <summary>
/// What a messaging test runs against: a fresh, migrated metadata database and a Pub/Sub project of its own on the
/// test emulator (the emulator takes any project id, so tests never see each other's messages), plus the hosts it
/// starts: services configured like the platform's, with the outbox and subscribers under test.
/// </summary>
public sealed class MessagingEnvironment : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];

    private MessagingEnvironment(string metadata, string emulatorHost)
    {
        Metadata = metadata;
        EmulatorHost = emulatorHost;
        DataSource = NpgsqlDataSource.Create(metadata);
        Client = PubSubClientFactory.Create(new PubSubOptions(ProjectId, emulatorHost));
    }

    public string Metadata { get; }

    public string EmulatorHost { get; }

    public string ProjectId { get; } = $"test-{Guid.NewGuid():N}"[..24];

    public NpgsqlDataSource DataSource { get; }

    /// <summary>The test's own view of the broker, to publish around the outbox or read a dead-letter subscription.</summary>
    public PubSubClient Client { get; }

    public static async Task<MessagingEnvironment> CreateAsync(string purpose, string? emulatorHost = null)
    {
        var metadata = await TestServers.CreateDatabaseAsync(purpose);
        var environment = new MessagingEnvironment(metadata, emulatorHost ?? TestServers.PubSubEmulatorHost);
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
            ["PUBSUB_EMULATOR_HOST"] = EmulatorHost,
            ["PubSub:ProjectId"] = ProjectId,
            ["Messaging:MinRetryDelay"] = "00:00:00.2",
            ["Messaging:MaxRetryDelay"] = "00:00:01",
        });
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
        Client.Dispose();
        await DataSource.DisposeAsync();
    }
}
