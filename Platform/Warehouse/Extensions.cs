using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class WarehouseExtensions
{
    public const string ConnectionName = "warehouse";

    /// <summary>
    /// The warehouse: its administrator data source (with its health check), the provisioner, and the
    /// organizations' own data sources that user SQL runs on.
    /// </summary>
    public static IHostApplicationBuilder AddWarehouse(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (builder.TryAddPostgresDatabase(ConnectionName, dataSource => new WarehouseDatabase(dataSource, connectionString!),
            dataSourceBuilder => dataSourceBuilder.UsePostGisWkb()))
        {
            builder.Services.Configure<WarehouseOptions>(builder.Configuration.GetSection("Warehouse"));
            builder.Services.AddSingleton<WarehouseProvisioner>();
            builder.Services.AddSingleton<OrganizationDataSources>();
        }
        return builder;
    }

    /// <summary>Provisions PostGIS and every organization's schema and role at start (after the metadata migrations).</summary>
    public static IHostApplicationBuilder AddWarehouseProvisioning(this IHostApplicationBuilder builder)
    {
        builder.AddMetadataDatabase();
        builder.AddWarehouse();
        builder.Services.AddHostedService<WarehouseProvisioningService>();
        return builder;
    }
}

internal sealed class WarehouseProvisioningService(WarehouseProvisioner provisioner, MetadataDatabase metadata) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var slugs = new List<string>();
        await using (var command = metadata.DataSource.CreateCommand("SELECT slug FROM organizations ORDER BY created_at"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                slugs.Add(reader.GetString(0));
            }
        }
        await provisioner.ProvisionAsync(slugs, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
