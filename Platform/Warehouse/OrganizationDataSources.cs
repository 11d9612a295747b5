using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.Platform.Warehouse;

public sealed class WarehouseOptions
{
    /// <summary>Connections each process keeps at most per organization, for that organization's SQL.</summary>
    public int MaxPoolSizePerOrganization { get; set; } = 20;
}

/// <summary>
/// Where user SQL runs: one pool per organization, logged in as the organization's own role. That role is not a
/// member of any other, so <c>SET ROLE</c>, <c>RESET ROLE</c> and <c>SET SESSION AUTHORIZATION</c> cannot take a
/// session anywhere else, and it reaches its own schema and the shared PostGIS functions only.
/// An organization created after the process started is provisioned on its first use.
/// </summary>
public sealed class OrganizationDataSources(WarehouseDatabase warehouse, WarehouseProvisioner provisioner, ILoggerFactory loggerFactory,
    IOptions<WarehouseOptions> options) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, NpgsqlDataSource> _dataSources = new();

    public async Task<NpgsqlConnection> OpenConnectionAsync(string organizationSlug, CancellationToken cancellationToken)
    {
        var dataSource = await GetAsync(organizationSlug, cancellationToken);
        try
        {
            return await dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidPassword)
        {
            // A role may change its own password (a batch job can run ALTER ROLE … PASSWORD): provisioning sets it back.
            await provisioner.ProvisionAsync([organizationSlug], cancellationToken);
            return await dataSource.OpenConnectionAsync(cancellationToken);
        }
    }

    private async Task<NpgsqlDataSource> GetAsync(string organizationSlug, CancellationToken cancellationToken)
    {
        if (_dataSources.TryGetValue(organizationSlug, out var existing))
        {
            return existing;
        }
        await provisioner.ProvisionAsync([organizationSlug], cancellationToken);

        var role = WarehouseDatabase.OrganizationSchema(organizationSlug);
        var connectionString = new NpgsqlConnectionStringBuilder(warehouse.ConnectionString.ConnectionString)
        {
            Username = role,
            Password = OrganizationRoles.Password(warehouse.AdministratorPassword, role),
            MaxPoolSize = options.Value.MaxPoolSizePerOrganization,
            // A statement whose client went away (a worker killed mid-job) stops within a second instead of running on.
            Options = "-c client_connection_check_interval=1000",
        };
        var dataSource = new NpgsqlDataSourceBuilder(connectionString.ConnectionString) { Name = "warehouse:" + role }
            .UseLoggerFactory(loggerFactory)
            .UsePostGisWkb()
            .Build();
        if (_dataSources.TryAdd(organizationSlug, dataSource))
        {
            return dataSource;
        }
        await dataSource.DisposeAsync();
        return _dataSources[organizationSlug];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var dataSource in _dataSources.Values)
        {
            await dataSource.DisposeAsync();
        }
    }
}
