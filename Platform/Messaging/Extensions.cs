using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Messaging.PubSub;
using CartoSelfHosted.Platform.Messaging.RabbitMq;
using CartoSelfHosted.Platform.Messaging.Subscriber;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.Metadata;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

public static class MessagingExtensions
{
    /// <summary>
    /// The broker <c>Messaging:Broker</c> names (<c>pubsub</c>, the default, or <c>rabbitmq</c>): its client, the
    /// platform's topology (created at start) and its health check, Degraded when the broker is away — a service keeps
    /// working meanwhile, its messages waiting in the outbox.
    /// </summary>
    public static IHostApplicationBuilder AddMessageBroker(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(IMessageBroker)))
        {
            return builder;
        }
        var section = builder.Configuration.GetSection(MessagingOptions.SectionName);
        builder.Services.Configure<MessagingOptions>(section);
        switch (MessagingOptions.BrokerOf(builder.Configuration))
        {
            case MessageBrokers.RabbitMq:
                AddRabbitMq(builder);
                break;
            default:
                AddPubSub(builder);
                break;
        }
        builder.Services.AddHostedService<BrokerTopologyStartup>();
        return builder;
    }

    /// <summary>
    /// For a service that publishes: it writes messages with <see cref="OutboxWriter.EnqueueAsync"/> in its own transactions,
    /// and runs a dispatcher (one service at a time dispatches; the others stand by).
    /// </summary>
    public static IHostApplicationBuilder AddOutbox(this IHostApplicationBuilder builder)
    {
        builder.AddMessageBroker();
        builder.AddMetadataDatabase();
        builder.Services.AddHostedService<OutboxDispatcher>();
        return builder;
    }

    /// <summary>Receives <paramref name="subscription"/> while the service runs; its handlers are added with <see cref="SubscriberBuilder.Handle{TMessage, THandler}"/>.</summary>
    public static SubscriberBuilder AddSubscriber(this IHostApplicationBuilder builder, SubscriptionDefinition subscription)
    {
        builder.AddMessageBroker();
        builder.AddMetadataDatabase();
        var subscriber = new SubscriberBuilder(subscription, builder.Services);
        if (MessagingOptions.BrokerOf(builder.Configuration) == MessageBrokers.RabbitMq)
        {
            // One bus per service: RabbitMqSubscribers puts every subscription's endpoint on it.
            builder.Services.AddSingleton(subscriber);
        }
        else
        {
            builder.Services.AddSingleton<IHostedService>(services => ActivatorUtilities.CreateInstance<SubscriberHost>(services, subscriber));
        }
        return subscriber;
    }

    private static void AddPubSub(IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(PubSubOptions.FromConfiguration(builder.Configuration));
        builder.Services.AddSingleton(services => PubSubClientFactory.Create(services.GetRequiredService<PubSubOptions>()));
        builder.Services.AddSingleton<PubSubTopology>();
        builder.Services.AddSingleton<PubSubBroker>();
        builder.Services.AddSingleton<IMessageBroker>(services => services.GetRequiredService<PubSubBroker>());
        builder.Services.AddSingleton<PubSubHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<PubSubHealthCheck>(MessageBrokers.PubSub, HealthStatus.Degraded);
    }

    /// <summary>
    /// MassTransit's bus on RabbitMQ: it keeps the connection (and finds RabbitMQ again after it was away), sends with
    /// publisher confirms, and runs a receive endpoint per subscription. Its health check takes the broker's name.
    /// </summary>
    private static void AddRabbitMq(IHostApplicationBuilder builder)
    {
        var rabbitMq = RabbitMqOptions.FromConfiguration(builder.Configuration);
        builder.Services.AddSingleton(rabbitMq);
        builder.Services.AddSingleton<RabbitMqTopology>();
        builder.Services.AddSingleton<RabbitMqBroker>();
        builder.Services.AddSingleton<IMessageBroker>(services => services.GetRequiredService<RabbitMqBroker>());
        builder.Services.AddSingleton<RabbitMqSubscribers>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RabbitMqSubscribers>());
        builder.Services.AddMassTransit(bus =>
        {
            bus.ConfigureHealthCheckOptions(health =>
            {
                health.Name = MessageBrokers.RabbitMq;
                health.MinimalFailureStatus = HealthStatus.Degraded;
            });
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(rabbitMq.Host, rabbitMq.Port, rabbitMq.VirtualHost, $"carto-{builder.Environment.ApplicationName}", host =>
                {
                    host.Username(rabbitMq.UserName);
                    host.Password(rabbitMq.Password);
                    host.PublisherConfirmation = true;
                    if (rabbitMq.Uri.Scheme == "amqps")
                    {
                        host.UseSsl(ssl => ssl.ServerName = rabbitMq.Host);
                    }
                });
                context.GetRequiredService<RabbitMqSubscribers>().ConfigureEndpoints(rabbit);
            });
        });
    }
}
