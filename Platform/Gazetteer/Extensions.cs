using CartoSelfHosted.Platform.Gazetteer;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class GazetteerExtensions
{
    /// <summary>
    /// The warehouse's gazetteer: loaded in the background at start when missing or outdated (the service answers meanwhile,
    /// and <see cref="GazetteerState"/> says it is not ready), or, with <c>Gazetteer:LoadAtStart</c> false, taken as it is.
    /// </summary>
    public static IHostApplicationBuilder AddGazetteer(this IHostApplicationBuilder builder)
    {
        builder.AddWarehouse();
        builder.Services.Configure<GazetteerOptions>(builder.Configuration.GetSection(GazetteerOptions.SectionName));
        builder.Services.AddSingleton<GazetteerLoader>();
        builder.Services.AddWarehouseDataLoading<GazetteerState>("gazetteer",
            services => services.GetRequiredService<IOptions<GazetteerOptions>>().Value.LoadAtStart,
            (services, cancellationToken) => services.GetRequiredService<GazetteerLoader>().LoadAsync(
                new GazetteerSources(services.GetRequiredService<IOptions<GazetteerOptions>>().Value.DataDirectory), cancellationToken),
            (services, cancellationToken) => services.GetRequiredService<GazetteerLoader>().LoadedVersionAsync(cancellationToken));
        return builder;
    }
}
