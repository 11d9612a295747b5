namespace CartoSelfHosted.CdnInvalidator.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisCache();
        builder.AddPubSub();
    }
}
