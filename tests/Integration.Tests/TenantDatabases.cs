using CartoSelfHosted.Integration.Tests.Sql;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests;

/// <summary>
/// A metadata database (migrated) and a warehouse (provisioned) of a test class's own, with two organizations, A and
/// B, made directly in the metadata database, each with an admin token.
/// </summary>
public sealed record TenantDatabases(string Metadata, string Warehouse, TestOrganization A, TestOrganization B)
{
    public static async Task<TenantDatabases> CreateAsync(string purpose)
    {
        var metadataDatabase = await TestServers.CreateDatabaseAsync(purpose + "_meta");
        var warehouseDatabase = await TestServers.CreateDatabaseAsync(purpose + "_dw");
        TestOrganization a, b;
        await using (var metadata = NpgsqlDataSource.Create(metadataDatabase))
        {
            await new MetadataMigrator(metadata, NullLogger<MetadataMigrator>.Instance).MigrateAsync(CancellationToken.None);
            a = await CreateOrganizationAsync(metadata, "a");
            b = await CreateOrganizationAsync(metadata, "b");
        }
        await using (var warehouse = NpgsqlDataSource.Create(warehouseDatabase))
        {
            await new WarehouseProvisioner(new WarehouseDatabase(warehouse, warehouseDatabase), NullLogger<WarehouseProvisioner>.Instance)
                .ProvisionAsync([a.Slug, b.Slug], CancellationToken.None);
        }
        return new TenantDatabases(metadataDatabase, warehouseDatabase, a, b);
    }

    /// <summary>
    /// What AppHost gives an API or worker, pointed at these databases and the test servers, with a Pub/Sub project of its
    /// own: the services of one test class share it, so their messages reach each other and no other class's.
    /// </summary>
    public Dictionary<string, string> PlatformSettings() => new()
    {
        ["ConnectionStrings:metadata"] = Metadata,
        ["ConnectionStrings:warehouse"] = Warehouse,
        ["ConnectionStrings:redis"] = TestServers.Redis,
        ["PUBSUB_EMULATOR_HOST"] = TestServers.PubSubEmulatorHost,
        ["PubSub:ProjectId"] = $"test-{Guid.NewGuid():N}"[..24],
    };

    /// <summary>Runs SQL in the warehouse as the organization's role, as the administrator sets it up.</summary>
    public async Task AsOrganizationAsync(TestOrganization organization, string sql)
    {
        await using var connection = new NpgsqlConnection(Warehouse);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SET ROLE \"{organization.Schema}\"; SET search_path = \"{organization.Schema}\", public; {sql}", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A new user of the organization with <paramref name="role"/>, and a token of that user's, as a sign-in makes one.</summary>
    public async Task<Person> AddUserAsync(TestOrganization organization, string email, string role)
    {
        var token = ApiTokens.Generate();
        await using var metadata = NpgsqlDataSource.Create(Metadata);
        await using var command = metadata.CreateCommand("""
            WITH member AS (INSERT INTO users (organization_id, email, role) VALUES ($1, $2, $3) RETURNING id)
            INSERT INTO api_tokens (organization_id, user_id, name, token_hash, scopes)
            SELECT $1, id, 'test', $4, ARRAY[$3] FROM member RETURNING user_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = organization.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = email });
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        command.Parameters.Add(new NpgsqlParameter { Value = ApiTokens.Hash(token) });
        return new Person(email, (Guid)(await command.ExecuteScalarAsync())!, token);
    }

    public async Task<T?> WarehouseScalarAsync<T>(string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(Warehouse);
        return await MetadataMigrationTests.ScalarAsync<T>(dataSource, sql);
    }

    public async Task<T?> MetadataScalarAsync<T>(string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(Metadata);
        return await MetadataMigrationTests.ScalarAsync<T>(dataSource, sql);
    }

    private static async Task<TestOrganization> CreateOrganizationAsync(NpgsqlDataSource metadata, string prefix)
    {
        var slug = prefix + Guid.NewGuid().ToString("N")[..10];
        var token = ApiTokens.Generate();
        await using var command = metadata.CreateCommand("""
            WITH organization AS (INSERT INTO organizations (slug, name) VALUES ($1, $1) RETURNING id)
            INSERT INTO api_tokens (organization_id, name, token_hash, scopes)
            SELECT id, 'test', $2, '{admin}' FROM organization RETURNING organization_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = slug });
        command.Parameters.Add(new NpgsqlParameter { Value = ApiTokens.Hash(token) });
        return new TestOrganization((Guid)(await command.ExecuteScalarAsync())!, slug, token);
    }
}

/// <summary>A user of the tests, and their token.</summary>
public sealed record Person(string Email, Guid Id, string Token)
{
    public override string ToString() => Email;
}
