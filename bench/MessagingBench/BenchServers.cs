using System.Globalization;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.PubSub;
using CartoSelfHosted.Platform.Messaging.Topology;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.MessagingBench;

public sealed record BenchServers(string Postgres, string EmulatorHost)
{
    public static BenchServers FromEnvironment() => new(
        Environment.GetEnvironmentVariable("TEST_POSTGRES") ?? throw new InvalidOperationException("TEST_POSTGRES is not set: run bench/messaging.sh"),
        Environment.GetEnvironmentVariable("TEST_PUBSUB_EMULATOR_HOST") ?? throw new InvalidOperationException("TEST_PUBSUB_EMULATOR_HOST is not set: run bench/messaging.sh"));

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
