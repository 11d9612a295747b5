using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests;

/// <summary>
/// The servers scripts/test-servers.sh started, read from the environment it writes. Without them these tests fail
/// loudly instead of being skipped: run them through ./test.sh.
/// </summary>
public static class TestServers
{
    public static string PostgresAdmin => Required("TEST_POSTGRES");

    public static string Redis => Required("TEST_REDIS");

    public static string PubSubEmulatorHost => Required("TEST_PUBSUB_EMULATOR_HOST");

    /// <summary>The emulator's launcher, for a test that starts (and stops) an emulator of its own.</summary>
    public static string PubSubEmulatorLauncher => Required("TEST_PUBSUB_EMULATOR_LAUNCHER");

    /// <summary>The test servers' RabbitMQ, as an AMQP URI with its guest user (RabbitMQ lets guest in over loopback only).</summary>
    public static string RabbitMq => Required("TEST_RABBITMQ");

    /// <summary>scripts/rabbitmq-server.sh: <c>run DIR PORT</c> starts a broker, <c>ctl DIR …</c> runs rabbitmqctl against one.</summary>
    public static string RabbitMqScript => Required("TEST_RABBITMQ_SCRIPT");

    /// <summary>The folder of the test servers' RabbitMQ; its parent is where a test's own broker can keep its state too.</summary>
    public static string RabbitMqState => Required("TEST_RABBITMQ_STATE");

    /// <summary>Runs rabbitmqctl against the test servers' RabbitMQ (a virtual host per test: add_vhost, set_permissions, delete_vhost).</summary>
    public static async Task RabbitMqCtlAsync(params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(RabbitMqScript, ["ctl", RabbitMqState, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}{await output}");
        }
    }

    /// <summary>Azurite's Azure Storage connection string (its well-known development account), for Azure Blob object storage.</summary>
    public static string AzuriteBlob => Required("TEST_AZURITE_BLOB");

    /// <summary>s3rver's address, an S3-compatible server for S3 object storage; its one key pair is <see cref="S3Key"/> twice.</summary>
    public static string S3Endpoint => Required("TEST_S3_ENDPOINT");

    public const string S3Key = "S3RVER";

    /// <summary>A new, empty database of its own for one test, so tests can run side by side.</summary>
    public static async Task<string> CreateDatabaseAsync(string purpose)
    {
        var name = $"test_{purpose}_{Guid.NewGuid():N}"[..40].ToLowerInvariant();
        await using var connection = new NpgsqlConnection(PostgresAdmin + ";Database=postgres");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {SqlIdentifier.Quote(name)}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(PostgresAdmin) { Database = name }.ConnectionString;
    }

    /// <summary>A new metadata database with every migration applied, as accounts-api leaves it at start.</summary>
    public static async Task<string> CreateMetadataDatabaseAsync(string purpose)
    {
        var metadata = await CreateDatabaseAsync(purpose);
        await MigrateMetadataAsync(metadata);
        return metadata;
    }

    /// <summary>What the metadata schema's owner (accounts-api) does at start; the other services wait for it.</summary>
    public static async Task MigrateMetadataAsync(string metadata)
    {
        await using var dataSource = NpgsqlDataSource.Create(metadata);
        await new MetadataMigrator(dataSource, NullLogger<MetadataMigrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests with ./test.sh, which starts the real servers.");
}
