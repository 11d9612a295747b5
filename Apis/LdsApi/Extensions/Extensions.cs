using CartoSelfHosted.LdsApi.Geocoding;
using CartoSelfHosted.LdsApi.Quotas;
using CartoSelfHosted.LdsApi.Routing;

namespace CartoSelfHosted.LdsApi.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddApiTokenAuthentication();
        // The gazetteer lives in the warehouse; the first start loads it there from the npm packages' files.
        builder.AddGazetteer();
        builder.Services.AddSingleton<Geocoder>();
        // So does the road network, which osm2pgrouting loads at the first start from the npm package's OpenStreetMap ways.
        builder.AddRoadNetwork();
        builder.Services.AddSingleton<RoadRouter>();
        // Each organization's monthly quota of each service (the configuration's, or one an admin set), counted in the metadata database.
        builder.Services.Configure<LdsQuotaOptions>(builder.Configuration.GetSection(LdsQuotaOptions.SectionName));
        builder.Services.AddSingleton<LdsQuota>();
        builder.Services.AddSingleton<QuotasSetByAdmins>();
        builder.Services.AddHostedService(services => services.GetRequiredService<QuotasSetByAdmins>());
        builder.Services.AddSingleton<UnlimitedUseCounter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<UnlimitedUseCounter>());
    }
}
