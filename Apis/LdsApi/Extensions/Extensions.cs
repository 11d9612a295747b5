using CartoSelfHosted.LdsApi.Geocoding;

namespace CartoSelfHosted.LdsApi.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddApiTokenAuthentication();
        // The gazetteer lives in the warehouse; the first start loads it there from the npm packages' files.
        builder.AddGazetteer();
        builder.Services.AddSingleton<Geocoder>();
    }
}
