using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CartoSelfHosted.Platform.Warehouse;

/// <summary>Makes the warehouse ready for the organizations of the metadata database: PostGIS, and a schema and role each.</summary>
public sealed class WarehouseProvisioner(WarehouseDatabase warehouse, MetadataDatabase metadata, ILogger<WarehouseProvisioner> logger)
{
    private const long ProvisioningLockKey = 0x6361_7274_6f77_6864;

    public async Task ProvisionAsync(CancellationToken cancellationToken)
    {
        var slugs = await ReadOrganizationSlugsAsync(cancellationToken);

        await using var connection = await warehouse.DataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("SELECT pg_advisory_lock($1)", cancellationToken, ProvisioningLockKey);
        try
        {
            await connection.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS postgis", cancellationToken);
            foreach (var slug in slugs)
            {
                await EnsureOrganizationAsync(connection, slug, cancellationToken);
            }
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock($1)", CancellationToken.None, ProvisioningLockKey);
        }
    }

    private async Task EnsureOrganizationAsync(NpgsqlConnection connection, string slug, CancellationToken cancellationToken)
    {
        var name = WarehouseDatabase.OrganizationSchema(slug);
        var quoted = SqlIdentifier.Quote(name);

        await using (var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", connection))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = name });
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                await connection.ExecuteAsync($"CREATE ROLE {quoted} NOLOGIN NOINHERIT", cancellationToken);
                logger.LogInformation("Created warehouse role {Role}", name);
            }
        }
        await connection.ExecuteAsync($"CREATE SCHEMA IF NOT EXISTS {quoted} AUTHORIZATION {quoted}", cancellationToken);
    }

    private async Task<List<string>> ReadOrganizationSlugsAsync(CancellationToken cancellationToken)
    {
        var slugs = new List<string>();
        await using var command = metadata.DataSource.CreateCommand("SELECT slug FROM organizations ORDER BY created_at");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            slugs.Add(reader.GetString(0));
        }
        return slugs;
    }
}
