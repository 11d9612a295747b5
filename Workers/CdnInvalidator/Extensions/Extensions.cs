using CartoSelfHosted.CdnInvalidator.Purging;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.Messaging.Ping;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.Tiles;

namespace CartoSelfHosted.CdnInvalidator.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisCache();
        // Prepared tile copies are rebuilt from the warehouse; versions are counted in the metadata database.
        builder.AddMetadataDatabase();
        builder.AddWarehouse();
        builder.Services.AddSingleton<PreparedTileTables>();
        builder.Services.AddSingleton<TableVersions>();
        builder.AddHttpCachePurger();
        builder.AddSubscriber(MessagingTopology.Subscriptions.CdnInvalidator)
            .Handle<PingMessage, PingHandler>()
            .Handle<DataChangedMessage, DataChangedHandler>();
    }
}
