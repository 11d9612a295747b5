using CartoSelfHosted.Platform.Messaging.Ping;
using CartoSelfHosted.Platform.Messaging.Topology;

namespace CartoSelfHosted.WorkspaceSubscriber.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddSubscriber(MessagingTopology.Subscriptions.WorkspaceSubscriber)
            .Handle<PingMessage, PingHandler>();
        builder.AddSubscriber(MessagingTopology.Subscriptions.WorkspaceSubscriberDataChanged)
            .Handle<PingMessage, PingHandler>();
    }
}
