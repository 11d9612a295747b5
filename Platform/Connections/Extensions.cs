using CartoSelfHosted.Platform.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class ConnectionsExtensions
{
    /// <summary>
    /// The organizations' connections: the built-in warehouse and the users' own PostgreSQL, by name
    /// (<see cref="DataConnections"/>), and their rows, passwords encrypted with the platform's shared Data Protection keys.
    /// </summary>
    public static IHostApplicationBuilder AddDataConnections(this IHostApplicationBuilder builder)
    {
        builder.AddWarehouse();
        builder.AddMetadataDataProtection();
        builder.Services.TryAddSingleton<ConnectionStore>();
        builder.Services.TryAddSingleton<DataConnections>();
        return builder;
    }
}
