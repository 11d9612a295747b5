using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

public static class MetadataExtensions
{
    public const string ConnectionName = "metadata";

    /// <summary>The metadata data source, its health check, and its migrations applied before the service starts serving.</summary>
    public static IHostApplicationBuilder AddMetadataDatabase(this IHostApplicationBuilder builder)
    {
        if (builder.TryAddPostgresDatabase(ConnectionName, dataSource => new MetadataDatabase(dataSource), database => database.DataSource))
        {
            builder.Services.AddSingleton(services => new MetadataMigrator(
                services.GetRequiredService<MetadataDatabase>().DataSource, services.GetRequiredService<ILogger<MetadataMigrator>>()));
            builder.Services.AddHostedService<MetadataMigrationService>();
        }
        return builder;
    }
}

/// <summary>Runs the migrations while the host starts, so no request reaches a service whose schema is behind.</summary>
internal sealed class MetadataMigrationService(MetadataMigrator migrator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
