using CartoSelfHosted.LdsApi.Geocoding;
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
    }
}
