using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CartoSelfHosted.Platform.Metadata;

/// <summary>A numbered SQL migration embedded in this assembly.</summary>
public sealed record Migration(string Version, string Sql)
{
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>
/// The metadata database's migrations. The schema's owner (accounts-api) applies them at start, each in its own
/// transaction, under an advisory lock, so replicas of the owner starting at once never race; every other service
/// waits until the schema has what it was built for.
/// </summary>
public sealed class MetadataMigrator(NpgsqlDataSource dataSource, ILogger<MetadataMigrator> logger)
{
    // An arbitrary constant that names "metadata migrations" among the database's advisory locks.
    private const long MigrationLockKey = 0x6361_7274_6f6d_6967;

    public static IReadOnlyList<Migration> EmbeddedMigrations { get; } = LoadEmbeddedMigrations();

    /// <summary>Applies what is pending and returns the versions this call applied.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("SELECT pg_advisory_lock($1)", cancellationToken, MigrationLockKey);
        try
        {
            await connection.ExecuteAsync("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version     text PRIMARY KEY,
                    checksum    text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken);

            var applied = await ReadAppliedAsync(connection, cancellationToken);
            var appliedNow = new List<string>();
            foreach (var migration in EmbeddedMigrations)
            {
                if (applied.TryGetValue(migration.Version, out var checksum))
                {
                    if (checksum != migration.Checksum)
                    {
                        throw new InvalidOperationException(
                            $"Metadata migration {migration.Version} was changed after it was applied; add a new migration instead.");
                    }
                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(migration.Sql, cancellationToken);
                await connection.ExecuteAsync("INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                    cancellationToken, migration.Version, migration.Checksum);
                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied metadata migration {Version}", migration.Version);
                appliedNow.Add(migration.Version);
            }
            return appliedNow;
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock($1)", CancellationToken.None, MigrationLockKey);
        }
    }

    /// <summary>
    /// Waits until every migration this build knows is applied (by the schema's owner), polling; a schema that is
    /// still behind after <paramref name="timeout"/> is an error.
    /// </summary>
    public async Task WaitUntilCurrentAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var announced = false;
        while (true)
        {
            var missing = await MissingAsync(cancellationToken);
            if (missing.Count == 0)
            {
                return;
            }
            if (waited.Elapsed > timeout)
            {
                throw new InvalidOperationException(
                    $"The metadata schema still lacks {string.Join(", ", missing)} after {timeout.TotalSeconds:F0} s: is its owner (accounts-api) running?");
            }
            if (!announced)
            {
                logger.LogInformation("Waiting for the metadata schema's owner to apply {Migrations}", string.Join(", ", missing));
                announced = true;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>The versions this build knows that the database does not have yet.</summary>
    public async Task<IReadOnlyList<string>> MissingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                return EmbeddedMigrations.Select(migration => migration.Version).ToList();
            }
        }
        var applied = await ReadAppliedAsync(connection, cancellationToken);
        return EmbeddedMigrations.Where(migration => !applied.ContainsKey(migration.Version)).Select(migration => migration.Version).ToList();
    }

    private static async Task<Dictionary<string, string>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetString(0)] = reader.GetString(1);
        }
        return applied;
    }

    private static IReadOnlyList<Migration> LoadEmbeddedMigrations()
    {
        var assembly = typeof(MetadataMigrator).Assembly;
        const string prefix = "Migrations/";
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name => new Migration(Path.GetFileNameWithoutExtension(name[prefix.Length..]), ReadResource(assembly, name)))
            .ToList();
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded migration {name} is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
