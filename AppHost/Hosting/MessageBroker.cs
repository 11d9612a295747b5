using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// The platform's message broker, one per installation, chosen by AppHost's setting <c>Messaging:Broker</c>
/// (<c>--Messaging:Broker=rabbitmq</c>, or <c>Messaging__Broker=rabbitmq</c> in its environment): the Pub/Sub emulator
/// (<c>pubsub</c>, the default) or RabbitMQ (<c>rabbitmq</c>). Only the chosen one runs; every service that hands work
/// on references and waits for it.
/// </summary>
public sealed class MessageBroker
{
    public const string Setting = "Messaging:Broker";
    public const string PubSub = "pubsub";
    public const string RabbitMq = "rabbitmq";

    private readonly IResourceBuilder<PubSubEmulatorResource>? _pubSub;
    private readonly IResourceBuilder<RabbitMqServerResource>? _rabbitMq;

    private MessageBroker(IResourceBuilder<PubSubEmulatorResource>? pubSub, IResourceBuilder<RabbitMqServerResource>? rabbitMq)
    {
        _pubSub = pubSub;
        _rabbitMq = rabbitMq;
    }

    public static MessageBroker Add(IDistributedApplicationBuilder builder, LocalPlatform platform)
    {
        var choice = builder.Configuration[Setting]?.Trim().ToLowerInvariant() ?? PubSub;
        return choice switch
        {
            PubSub => new MessageBroker(builder.AddPubSubEmulator(platform, PubSub), null),
            RabbitMq => new MessageBroker(null, builder.AddRabbitMq(platform, RabbitMq, platform.AddSecret($"{RabbitMq}-password"))),
            _ => throw new InvalidOperationException($"{Setting} is {PubSub} or {RabbitMq}, not '{builder.Configuration[Setting]}'"),
        };
    }

    /// <summary>
    /// The service gets what its messaging reads — for Pub/Sub the emulator's host and project (unchanged from before
    /// RabbitMQ, so the default manifest is too); for RabbitMQ <c>Messaging__Broker</c> and
    /// <c>ConnectionStrings__rabbitmq</c> — and starts once the broker is healthy.
    /// </summary>
    internal IResourceBuilder<T> Into<T>(IResourceBuilder<T> service)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport
    {
        if (_pubSub is not null)
        {
            return service.WithReference(_pubSub).WaitFor(_pubSub);
        }
        return service.WithEnvironment("Messaging__Broker", RabbitMq).WithReference(_rabbitMq!).WaitFor(_rabbitMq!);
    }
}

public static class MessageBrokerExtensions
{
    /// <summary>Starts the broker the installation chose (<see cref="MessageBroker"/>).</summary>
    public static MessageBroker AddMessageBroker(this IDistributedApplicationBuilder builder, LocalPlatform platform) =>
        MessageBroker.Add(builder, platform);

    /// <summary>References the platform's broker and waits for it.</summary>
    public static IResourceBuilder<T> WithMessaging<T>(this IResourceBuilder<T> service, MessageBroker broker)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport => broker.Into(service);
}
