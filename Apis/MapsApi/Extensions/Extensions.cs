namespace CartoSelfHosted.MapsApi.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddApiTokenAuthentication();
        builder.AddWarehouse();
        builder.AddRedisCache();
        builder.AddPubSub();
    }
}
