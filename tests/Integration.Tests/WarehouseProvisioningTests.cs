using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests;

public sealed class WarehouseProvisioningTests
{
    [Fact]
    public async Task EveryOrganizationGetsItsOwnSchemaAndRoleAndPostGisIsEnabled()
    {
        await using var metadataSource = NpgsqlDataSource.Create(await TestServers.CreateDatabaseAsync("meta"));
        await using var warehouseSource = NpgsqlDataSource.Create(await TestServers.CreateDatabaseAsync("warehouse"));
        await new MetadataMigrator(metadataSource, NullLogger<MetadataMigrator>.Instance).MigrateAsync(TestContext.Current.CancellationToken);
        var slug = "acme" + Guid.NewGuid().ToString("N")[..8];
        await using (var insert = metadataSource.CreateCommand("INSERT INTO organizations (slug, name) VALUES ($1, 'Acme')"))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = slug });
            await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }
        var metadata = new MetadataDatabase(metadataSource);
        var warehouse = new WarehouseDatabase(warehouseSource);

        // Two replicas provisioning at once, then a restart: all three succeed.
        await Task.WhenAll(
            new WarehouseProvisioner(warehouse, metadata, NullLogger<WarehouseProvisioner>.Instance).ProvisionAsync(TestContext.Current.CancellationToken),
            new WarehouseProvisioner(warehouse, metadata, NullLogger<WarehouseProvisioner>.Instance).ProvisionAsync(TestContext.Current.CancellationToken));
        await new WarehouseProvisioner(warehouse, metadata, NullLogger<WarehouseProvisioner>.Instance).ProvisionAsync(TestContext.Current.CancellationToken);

        Assert.NotNull(await MetadataMigrationTests.ScalarAsync<string>(warehouseSource, "SELECT postgis_version()"));
        foreach (var organization in new[] { "default", slug })
        {
            var name = WarehouseDatabase.OrganizationSchema(organization);
            await using var command = warehouseSource.CreateCommand("""
                SELECT r.rolcanlogin, pg_get_userbyid(n.nspowner)
                FROM pg_roles r JOIN pg_namespace n ON n.nspname = r.rolname
                WHERE r.rolname = $1
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken), $"no schema and role {name}");
            Assert.False(reader.GetBoolean(0), "an organization's role cannot log in by itself");
            Assert.Equal(name, reader.GetString(1));
        }
    }

    [Theory]
    [InlineData("cities", "\"cities\"")]
    [InlineData("a\"; DROP TABLE x; --", "\"a\"\"; DROP TABLE x; --\"")]
    public void IdentifiersAreAlwaysQuoted(string identifier, string quoted) =>
        Assert.Equal(quoted, SqlIdentifier.Quote(identifier));

    [Fact]
    public void AnIdentifierWithNulIsRefused() =>
        Assert.Throws<ArgumentException>(() => SqlIdentifier.Quote("a\0b"));
}
