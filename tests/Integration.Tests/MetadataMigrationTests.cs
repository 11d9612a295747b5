using CartoSelfHosted.Platform.Metadata;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests;

public sealed class MetadataMigrationTests
{
    [Fact]
    public async Task MigratorsStartingAtOnceApplyEachMigrationExactlyOnce()
    {
        var connectionString = await TestServers.CreateDatabaseAsync("migration_race");
        var dataSources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(connectionString)).ToList();
        try
        {
            var migrators = dataSources.Select(dataSource => new MetadataMigrator(dataSource, NullLogger<MetadataMigrator>.Instance));

            var applied = await Task.WhenAll(migrators.Select(migrator => Task.Run(() => migrator.MigrateAsync(TestContext.Current.CancellationToken))));

            var expected = MetadataMigrator.EmbeddedMigrations.Select(migration => migration.Version).ToList();
            Assert.Equal(expected, applied.SelectMany(versions => versions).Order(StringComparer.Ordinal));
            Assert.Equal(1, applied.Count(versions => versions.Count > 0));
            Assert.Equal((long)expected.Count, await ScalarAsync<long>(dataSources[0], "SELECT count(*) FROM schema_migrations"));
            Assert.Equal(1L, await ScalarAsync<long>(dataSources[0], "SELECT count(*) FROM organizations WHERE slug = 'default'"));
        }
        finally
        {
            foreach (var dataSource in dataSources)
            {
                await dataSource.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ASecondStartAppliesNothing()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestServers.CreateDatabaseAsync("migration_rerun"));
        var migrator = new MetadataMigrator(dataSource, NullLogger<MetadataMigrator>.Instance);

        Assert.NotEmpty(await migrator.MigrateAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await migrator.MigrateAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AMigrationChangedAfterItWasAppliedStopsTheStart()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestServers.CreateDatabaseAsync("migration_drift"));
        var migrator = new MetadataMigrator(dataSource, NullLogger<MetadataMigrator>.Instance);
        await migrator.MigrateAsync(TestContext.Current.CancellationToken);
        await using (var tamper = dataSource.CreateCommand("UPDATE schema_migrations SET checksum = 'edited' WHERE version = '0001_initial'"))
        {
            await tamper.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => migrator.MigrateAsync(TestContext.Current.CancellationToken));

        Assert.Contains("0001_initial", error.Message);
    }

    [Fact]
    public async Task AServiceThatDoesNotOwnTheSchemaWaitsForTheOwner()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestServers.CreateDatabaseAsync("migration_wait"));
        var waiter = new MetadataMigrator(dataSource, NullLogger<MetadataMigrator>.Instance);

        var waiting = waiter.WaitUntilCurrentAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted, "it must not go on while the schema is behind");

        await new MetadataMigrator(dataSource, NullLogger<MetadataMigrator>.Instance).MigrateAsync(TestContext.Current.CancellationToken);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Empty(await waiter.MissingAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WithoutAnOwnerTheWaitEndsInAnErrorNamingIt()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestServers.CreateDatabaseAsync("migration_orphan"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new MetadataMigrator(dataSource, NullLogger<MetadataMigrator>.Instance)
            .WaitUntilCurrentAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken));

        Assert.Contains("accounts-api", error.Message);
        Assert.Contains("0001_initial", error.Message);
    }

    internal static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
