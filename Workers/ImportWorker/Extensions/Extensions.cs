using CartoSelfHosted.Platform.Messaging.Ping;
using CartoSelfHosted.Platform.Messaging.Topology;

namespace CartoSelfHosted.ImportWorker.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddWarehouse();
        builder.AddSubscriber(MessagingTopology.Subscriptions.ImportWorker)
            .Handle<PingMessage, PingHandler>();
    }
}
