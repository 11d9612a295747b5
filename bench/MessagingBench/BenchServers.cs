using System.Diagnostics;
using System.Globalization;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.PubSub;
using CartoSelfHosted.Platform.Messaging.RabbitMq;
using CartoSelfHosted.Platform.Messaging.Topology;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.MessagingBench;

/// <summary>
/// The servers bench/messaging.sh started: PostgreSQL, the Pub/Sub emulator, and RabbitMQ (its AMQP URI on the virtual
/// host "/", and scripts/rabbitmq-server.sh with the broker's folder, whose <c>ctl</c> makes virtual hosts).
/// </summary>
public sealed record BenchServers(string Postgres, string EmulatorHost, Uri RabbitMq, string RabbitMqScript, string RabbitMqState)
{
    public static BenchServers FromEnvironment() => new(
        Required("TEST_POSTGRES"), Required("TEST_PUBSUB_EMULATOR_HOST"), new Uri(Required("TEST_RABBITMQ")),
        Required("TEST_RABBITMQ_SCRIPT"), Required("TEST_RABBITMQ_STATE"));

    /// <summary>
    /// A space of its own on <paramref name="broker"/> with the platform's topology in place, and the settings that point
    /// a service at it: a Pub/Sub project, or a RabbitMQ virtual host (removed when the space is disposed).
    /// </summary>
    public async Task<BrokerSpace> CreateSpaceAsync(string broker, string purpose)
    {
        switch (broker)
        {
            case MessageBrokers.PubSub:
                using (var client = await CreateProjectAsync(purpose))
                {
                    return new BrokerSpace(new Dictionary<string, string?>
                    {
                        ["Messaging:Broker"] = MessageBrokers.PubSub,
                        ["PUBSUB_EMULATOR_HOST"] = EmulatorHost,
                        ["PubSub:ProjectId"] = client.ProjectId,
                    }, null);
                }
            case MessageBrokers.RabbitMq:
                var virtualHost = await CreateVirtualHostAsync(purpose);
                return new BrokerSpace(new Dictionary<string, string?>
                {
                    ["Messaging:Broker"] = MessageBrokers.RabbitMq,
                    ["ConnectionStrings:rabbitmq"] = virtualHost.Uri.ToString(),
                }, virtualHost);
            default:
                throw new ArgumentOutOfRangeException(nameof(broker), broker, null);
        }
    }

    /// <summary>
    /// A client on a project of its own, so each measurement starts from empty topics, with the platform's topology in
    /// place before the clock starts.
    /// </summary>
    public async Task<PubSubClient> CreateProjectAsync(string purpose)
    {
        var client = PubSubClientFactory.Create(new PubSubOptions(NewProjectId(purpose), EmulatorHost));
        await new PubSubTopology(client, Options.Create(new MessagingOptions()), NullLogger<PubSubTopology>.Instance)
            .EnsureAsync(CancellationToken.None);
        return client;
    }

    /// <summary>
    /// A virtual host of its own on RabbitMQ, so each measurement starts from empty queues, with the platform's topology
    /// declared by the platform's own <see cref="RabbitMqTopology"/> before the clock starts.
    /// </summary>
    public async Task<VirtualHost> CreateVirtualHostAsync(string purpose)
    {
        var name = NewProjectId(purpose);
        await RabbitMqCtlAsync("add_vhost", name);
        await RabbitMqCtlAsync("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
        var virtualHost = new VirtualHost(new UriBuilder(RabbitMq) { Path = "/" + name }.Uri, this, name);
        await new RabbitMqTopology(new RabbitMqOptions(virtualHost.Uri), Options.Create(new MessagingOptions()), NullLogger<RabbitMqTopology>.Instance)
            .EnsureAsync(CancellationToken.None);
        return virtualHost;
    }

    /// <summary>rabbitmqctl against the bench's broker, through the one script that knows where its node and cookie are.</summary>
    public async Task RabbitMqCtlAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(RabbitMqScript, ["ctl", RabbitMqState, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}{await output}");
        }
    }

    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"bench_messaging_{Guid.NewGuid():N}"[..32];
        await using var connection = new NpgsqlConnection(Postgres + ";Database=postgres");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(Postgres) { Database = name }.ConnectionString;
    }

    public static string NewProjectId(string purpose) => $"bench-{purpose}-{Guid.NewGuid():N}"[..28];

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException($"{name} is not set: run bench/messaging.sh");
}

/// <summary>A RabbitMQ virtual host of the bench's, deleted with everything in it when disposed (quorum queues keep their logs on disk).</summary>
public sealed class VirtualHost(Uri uri, BenchServers servers, string name) : IAsyncDisposable
{
    /// <summary>The AMQP URI of the virtual host, as <c>ConnectionStrings:rabbitmq</c> takes it.</summary>
    public Uri Uri => uri;

    public async ValueTask DisposeAsync() => await servers.RabbitMqCtlAsync("delete_vhost", name);
}

/// <summary>A space of the bench's own on a broker (<see cref="BenchServers.CreateSpaceAsync"/>) and the settings a service needs for it.</summary>
public sealed class BrokerSpace(IReadOnlyDictionary<string, string?> settings, IAsyncDisposable? owned) : IAsyncDisposable
{
    public IReadOnlyDictionary<string, string?> Settings => settings;

    public async ValueTask DisposeAsync()
    {
        if (owned is not null)
        {
            await owned.DisposeAsync();
        }
    }
}

/// <summary>Messages per second: published, and delivered through to the end of handling.</summary>
public sealed record Throughput(double PublishPerSecond, double DeliveredPerSecond)
{
    public static Throughput Median(IReadOnlyList<Throughput> rounds) => new(
        rounds.Select(round => round.PublishPerSecond).Order().ElementAt(rounds.Count / 2),
        rounds.Select(round => round.DeliveredPerSecond).Order().ElementAt(rounds.Count / 2));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"publish {PublishPerSecond:N0} msg/s, delivered {DeliveredPerSecond:N0} msg/s");
}

public sealed record Latency(double P50, double P99)
{
    public static Latency Of(IReadOnlyCollection<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToArray();
        double At(double quantile) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];
        return new Latency(At(0.50), At(0.99));
    }
}
