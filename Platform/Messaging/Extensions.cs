using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Messaging.PubSub;
using CartoSelfHosted.Platform.Messaging.Subscriber;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

public static class MessagingExtensions
{
    /// <summary>The broker: its client, the platform's topology (created at start) and the <c>pubsub</c> health check.</summary>
    public static IHostApplicationBuilder AddPubSub(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(PubSubClient)))
        {
            return builder;
        }
        builder.Services.AddSingleton(PubSubOptions.FromConfiguration(builder.Configuration));
        builder.Services.Configure<MessagingOptions>(builder.Configuration.GetSection(MessagingOptions.SectionName));
        builder.Services.AddSingleton(services => PubSubClientFactory.Create(services.GetRequiredService<PubSubOptions>()));
        builder.Services.AddSingleton<PubSubTopology>();
        builder.Services.AddHostedService<PubSubTopologyStartup>();
        // Degraded, not unhealthy: a service keeps working while the broker is away (messages wait in the outbox).
        builder.Services.AddSingleton<PubSubHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<PubSubHealthCheck>("pubsub", HealthStatus.Degraded);
        return builder;
    }

    /// <summary>
    /// For a service that publishes: it writes messages with <see cref="OutboxWriter.EnqueueAsync"/> in its own transactions,
    /// and runs a dispatcher (one service at a time dispatches; the others stand by).
    /// </summary>
    public static IHostApplicationBuilder AddOutbox(this IHostApplicationBuilder builder)
    {
        builder.AddPubSub();
        builder.AddMetadataDatabase();
        builder.Services.AddHostedService<OutboxDispatcher>();
        return builder;
    }

    /// <summary>Pulls <paramref name="subscription"/> while the service runs; its handlers are added with <see cref="SubscriberBuilder.Handle{TMessage, THandler}"/>.</summary>
    public static SubscriberBuilder AddSubscriber(this IHostApplicationBuilder builder, SubscriptionDefinition subscription)
    {
        builder.AddPubSub();
        builder.AddMetadataDatabase();
        var subscriber = new SubscriberBuilder(subscription, builder.Services);
        builder.Services.AddSingleton<IHostedService>(services => ActivatorUtilities.CreateInstance<SubscriberHost>(services, subscriber));
        return subscriber;
    }
}
