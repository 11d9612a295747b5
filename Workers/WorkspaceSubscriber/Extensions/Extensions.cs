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
        // A table's change is a short read of its catalog row, and running it again leaves the same rows: on Pub/Sub, changes
        // of different tables waiting side by side are committed together.
        builder.AddSubscriber(MessagingTopology.Subscriptions.WorkspaceSubscriberDataChanged)
            .CommitTogether()
            .Handle<PingMessage, PingHandler>()
            .Handle<DataChangedMessage, TableChangedHandler>();
    }
}
