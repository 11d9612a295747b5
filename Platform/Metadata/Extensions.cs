using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Metadata.DataProtection;
using CartoSelfHosted.Platform.Postgres;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class MetadataExtensions
{
    public const string ConnectionName = "metadata";

    /// <summary>
    /// The metadata data source and its health check. Before the service starts serving, the schema must have every
    /// migration this build knows: the service waits for the owner (see <see cref="AddMetadataMigrations"/>) to apply them.
    /// </summary>
    public static IHostApplicationBuilder AddMetadataDatabase(this IHostApplicationBuilder builder)
    {
        if (builder.TryAddPostgresDatabase(ConnectionName, dataSource => new MetadataDatabase(dataSource)))
        {
            builder.Services.AddSingleton(services => new MetadataMigrator(
                services.GetRequiredService<MetadataDatabase>().DataSource, services.GetRequiredService<ILogger<MetadataMigrator>>()));
            builder.Services.AddHostedService<MetadataSchemaService>();
        }
        return builder;
    }

    /// <summary>Makes this service the schema's owner: it applies the pending migrations at start (under the advisory lock).</summary>
    public static IHostApplicationBuilder AddMetadataMigrations(this IHostApplicationBuilder builder)
    {
        builder.AddMetadataDatabase();
        builder.Services.Configure<MetadataSchemaOptions>(options => options.ApplyMigrations = true);
        return builder;
    }

    /// <summary>
    /// ASP.NET Core Data Protection with its key ring in the metadata database, under one application name, so what one
    /// service or replica encrypts (a connection's password, a public map's token) every other one decrypts.
    /// </summary>
    public static IHostApplicationBuilder AddMetadataDataProtection(this IHostApplicationBuilder builder)
    {
        builder.AddMetadataDatabase();
        builder.Services.AddDataProtection().SetApplicationName(DataProtectionApplicationName);
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<MetadataDatabase>((options, metadata) => options.XmlRepository = new MetadataXmlRepository(metadata));
        return builder;
    }

    /// <summary>What Data Protection isolates payloads by: the same for every service, so they share one key ring's payloads.</summary>
    public const string DataProtectionApplicationName = "CartoSelfHosted";
}

public sealed class MetadataSchemaOptions
{
    public bool ApplyMigrations { get; set; }

    /// <summary>How long a service that does not own the schema waits for its owner before giving up (and being restarted).</summary>
    public TimeSpan WaitForOwner { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Runs while the host starts, so no request reaches a service whose schema is behind: migrates, or waits.</summary>
internal sealed class MetadataSchemaService(MetadataMigrator migrator, IOptions<MetadataSchemaOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => options.Value.ApplyMigrations
        ? migrator.MigrateAsync(cancellationToken)
        : migrator.WaitUntilCurrentAsync(options.Value.WaitForOwner, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
