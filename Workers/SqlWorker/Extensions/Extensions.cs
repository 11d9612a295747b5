using CartoSelfHosted.Platform.Messaging.Ping;
using CartoSelfHosted.Platform.Messaging.Topology;

namespace CartoSelfHosted.SqlWorker.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddWarehouse();
        builder.AddSubscriber(MessagingTopology.Subscriptions.SqlWorker)
            .Handle<PingMessage, PingHandler>();
    }
}
