using CartoSelfHosted.Platform.RoadNetwork;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class RoadNetworkExtensions
{
    /// <summary>
    /// The warehouse's road network: loaded in the background at start when missing or outdated (the service answers meanwhile,
    /// and <see cref="RoadNetworkState"/> says it is not ready), or, with <c>RoadNetwork:LoadAtStart</c> false, taken as it is.
    /// </summary>
    public static IHostApplicationBuilder AddRoadNetwork(this IHostApplicationBuilder builder)
    {
        builder.AddWarehouse();
        builder.Services.Configure<RoadNetworkOptions>(builder.Configuration.GetSection(RoadNetworkOptions.SectionName));
        builder.Services.AddSingleton<RoadNetworkLoader>();
        builder.Services.AddWarehouseDataLoading<RoadNetworkState>("road network",
            services => services.GetRequiredService<IOptions<RoadNetworkOptions>>().Value.LoadAtStart,
            (services, cancellationToken) => services.GetRequiredService<RoadNetworkLoader>().LoadAsync(
                new RoadNetworkSources(services.GetRequiredService<IOptions<RoadNetworkOptions>>().Value.DataDirectory), cancellationToken),
            (services, cancellationToken) => services.GetRequiredService<RoadNetworkLoader>().LoadedVersionAsync(cancellationToken));
        return builder;
    }
}
