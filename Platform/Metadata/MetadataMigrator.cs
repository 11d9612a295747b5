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
/// Applies the metadata database's migrations. Every service that uses the database calls it at start; the
/// advisory lock makes exactly one caller apply each migration, each in its own transaction.
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
