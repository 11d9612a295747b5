using CartoSelfHosted.WorkspaceApi.Health;
using CartoSelfHosted.WorkspaceApi.Maps;
using CartoSelfHosted.WorkspaceApi.Search;

namespace CartoSelfHosted.WorkspaceApi.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddApiTokenAuthentication();
        builder.AddWarehouseProvisioning();
        builder.AddCatalog();
        builder.AddRedisCache();
        builder.AddOutbox();
        // Public maps keep their token encrypted, with the key ring every replica reads.
        builder.AddMetadataDataProtection();
        builder.Services.AddSingleton<PublicMapTokens>();
        builder.Services.AddSingleton<MapStore>();
        builder.Services.AddSingleton<SearchStore>();
        // A probe reports what it sees now: the defaults' retries would turn a down service into a slow answer.
        // RemoveAllResilienceHandlers is marked for evaluation (EXTEXP0001); it is what Aspire's docs use for this.
#pragma warning disable EXTEXP0001
        builder.Services.AddHttpClient<PlatformHealth>(client => client.Timeout = PlatformHealth.ProbeTimeout)
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
    }
}
