using CartoSelfHosted.Platform.ObjectStorage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class ObjectStorageExtensions
{
    public const string ConnectionName = "object-storage";

    /// <summary>
    /// The platform's object storage: <c>ConnectionStrings:object-storage</c> is a local folder (a path, or a
    /// <c>file://</c> URL), which AppHost keeps under its data folder.
    /// </summary>
    public static IHostApplicationBuilder AddObjectStorage(this IHostApplicationBuilder builder)
    {
        var location = builder.Configuration.GetConnectionString(ConnectionName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{ConnectionName} (a local folder) is not configured.");
        var root = Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.IsFile ? uri.LocalPath : location;
        Directory.CreateDirectory(root);
        builder.Services.TryAddSingleton<IObjectStorage>(new LocalFolderObjectStorage(root));
        return builder;
    }
}
