using CartoSelfHosted.Platform.ObjectStorage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

public static class ObjectStorageExtensions
{
    public const string ConnectionName = "object-storage";

    /// <summary>
    /// The platform's object storage, as <c>ConnectionStrings:object-storage</c> names it
    /// (<see cref="ObjectStorageConnectionString"/>): a local folder, which AppHost keeps under its data folder, an
    /// S3-compatible bucket or an Azure Blob container.
    /// </summary>
    public static IHostApplicationBuilder AddObjectStorage(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{ConnectionName} (a local folder, an s3:// bucket or an Azure Blob container) is not configured.");
        builder.Services.TryAddSingleton(services =>
            ObjectStorageConnectionString.Open(connectionString, services.GetRequiredService<ILoggerFactory>()));
        return builder;
    }
}
