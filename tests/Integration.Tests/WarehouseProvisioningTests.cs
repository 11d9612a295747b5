using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests;

public sealed class WarehouseProvisioningTests
{
    [Fact]
    public async Task EveryOrganizationGetsItsOwnSchemaAndALoginRoleWithoutPrivilegesAndPostGisIsEnabled()
    {
        var warehouseConnection = await TestServers.CreateDatabaseAsync("warehouse");
        await using var warehouseSource = NpgsqlDataSource.Create(warehouseConnection);
        var slug = "acme" + Guid.NewGuid().ToString("N")[..8];
        var warehouse = new WarehouseDatabase(warehouseSource, warehouseConnection);
        string[] organizations = ["default", slug];

        // Two replicas provisioning at once, then a restart: all three succeed.
        await Task.WhenAll(
            new WarehouseProvisioner(warehouse, NullLogger<WarehouseProvisioner>.Instance).ProvisionAsync(organizations, TestContext.Current.CancellationToken),
            new WarehouseProvisioner(warehouse, NullLogger<WarehouseProvisioner>.Instance).ProvisionAsync(organizations, TestContext.Current.CancellationToken));
        await new WarehouseProvisioner(warehouse, NullLogger<WarehouseProvisioner>.Instance).ProvisionAsync(organizations, TestContext.Current.CancellationToken);

        Assert.NotNull(await MetadataMigrationTests.ScalarAsync<string>(warehouseSource, "SELECT postgis_version()"));
        foreach (var organization in organizations)
        {
            var name = WarehouseDatabase.OrganizationSchema(organization);
            await using var command = warehouseSource.CreateCommand("""
                SELECT r.rolcanlogin, r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls,
                       pg_get_userbyid(n.nspowner), (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid)
                FROM pg_roles r JOIN pg_namespace n ON n.nspname = r.rolname
                WHERE r.rolname = $1
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken), $"no schema and role {name}");
            Assert.True(reader.GetBoolean(0), "an organization's role logs in, for its own SQL");
            Assert.False(reader.GetBoolean(1), "an organization's role has no administrative attribute");
            Assert.Equal(name, reader.GetString(2));
            Assert.Equal(0, reader.GetInt64(3));
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
