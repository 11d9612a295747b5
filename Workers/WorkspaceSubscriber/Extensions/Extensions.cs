using CartoSelfHosted.Platform.Catalog;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.Messaging.Ping;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.WorkspaceSubscriber.Catalog;
using CartoSelfHosted.WorkspaceSubscriber.Maps;

namespace CartoSelfHosted.WorkspaceSubscriber.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddCatalog();
        builder.Services.AddSingleton<BrokenMapDatasets>();
        builder.AddSubscriber(MessagingTopology.Subscriptions.WorkspaceSubscriber)
            .Handle<PingMessage, PingHandler>()
            .Handle<CatalogRefreshRequested, CatalogRefreshHandler>();
        builder.AddSubscriber(MessagingTopology.Subscriptions.WorkspaceSubscriberDataChanged)
            .Handle<PingMessage, PingHandler>()
            .Handle<DataChangedMessage, TableChangedHandler>();
    }
}
