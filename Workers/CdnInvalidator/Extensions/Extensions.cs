using CartoSelfHosted.Platform.Messaging.Ping;
using CartoSelfHosted.Platform.Messaging.Topology;

namespace CartoSelfHosted.CdnInvalidator.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisCache();
        builder.AddSubscriber(MessagingTopology.Subscriptions.CdnInvalidator)
            .Handle<PingMessage, PingHandler>();
    }
}
