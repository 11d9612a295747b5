using CartoSelfHosted.WorkspaceApi.Health;

namespace CartoSelfHosted.WorkspaceApi.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddApiTokenAuthentication();
        builder.AddWarehouseProvisioning();
        builder.AddRedisCache();
        builder.AddOutbox();
        builder.Services.AddSingleton<PlatformHealth>();
    }
}
