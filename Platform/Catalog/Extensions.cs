using CartoSelfHosted.Platform.Catalog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class CatalogExtensions
{
    /// <summary>The dataset catalog: its rows (<see cref="CatalogStore"/>) and what reads connections into it (<see cref="CatalogRefresher"/>).</summary>
    public static IHostApplicationBuilder AddCatalog(this IHostApplicationBuilder builder)
    {
        builder.AddDataConnections();
        builder.AddHttpCachePurger();
        builder.Services.Configure<CatalogOptions>(builder.Configuration.GetSection("Catalog"));
        builder.Services.TryAddSingleton<CatalogStore>();
        builder.Services.TryAddSingleton<CatalogRefresher>();
        return builder;
    }
}
