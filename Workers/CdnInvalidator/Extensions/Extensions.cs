using CartoSelfHosted.CdnInvalidator.Purging;
using CartoSelfHosted.Platform.Messaging.DataChanged;
using CartoSelfHosted.Platform.Messaging.Ping;
using CartoSelfHosted.Platform.Messaging.Topology;

namespace CartoSelfHosted.CdnInvalidator.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisCache();
        // http://http-cache is resolved by service discovery to the address AppHost gives.
        builder.Services.AddHttpClient<HttpCachePurger>(client => client.BaseAddress = new Uri($"http://{HttpCachePurger.ServiceName}"));
        builder.AddSubscriber(MessagingTopology.Subscriptions.CdnInvalidator)
            .Handle<PingMessage, PingHandler>()
            .Handle<DataChangedMessage, DataChangedHandler>();
    }
}
