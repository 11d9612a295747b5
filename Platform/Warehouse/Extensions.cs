using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class WarehouseExtensions
{
    public const string ConnectionName = "warehouse";

    public static IHostApplicationBuilder AddWarehouse(this IHostApplicationBuilder builder)
    {
        builder.TryAddPostgresDatabase(ConnectionName, dataSource => new WarehouseDatabase(dataSource));
        return builder;
    }

    /// <summary>Provisions PostGIS and every organization's schema and role at start (after the metadata migrations).</summary>
    public static IHostApplicationBuilder AddWarehouseProvisioning(this IHostApplicationBuilder builder)
    {
        builder.AddMetadataDatabase();
        builder.AddWarehouse();
        builder.Services.AddSingleton<WarehouseProvisioner>();
        builder.Services.AddHostedService<WarehouseProvisioningService>();
        return builder;
    }
}

internal sealed class WarehouseProvisioningService(WarehouseProvisioner provisioner) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => provisioner.ProvisionAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
