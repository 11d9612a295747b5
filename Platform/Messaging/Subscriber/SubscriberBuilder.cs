using System.Text.Json;
using CartoSelfHosted.Platform.Messaging.Topology;
using Microsoft.Extensions.DependencyInjection;

namespace CartoSelfHosted.Platform.Messaging.Subscriber;

/// <summary>The handlers of one subscription, by message type; <c>builder.AddSubscriber(subscription).Handle&lt;TMessage, THandler&gt;()</c>.</summary>
public sealed class SubscriberBuilder(SubscriptionDefinition subscription, IServiceCollection services)
{
    internal SubscriptionDefinition Subscription { get; } = subscription;

    internal Dictionary<string, HandlerRegistration> Handlers { get; } = new(StringComparer.Ordinal);

    internal bool CommitsTogether { get; private set; }

    /// <summary>
    /// Under load, messages that wait for a handler share a metadata transaction and its commit (<see cref="InboxCommits"/>):
    /// for short handlers, whose commit costs as much as their work. A failed handler's batch is run again without it,
    /// so what its handlers do outside the transaction must bear running twice; a long handler would hold its batch's
    /// commit back.
    /// </summary>
    public SubscriberBuilder CommitTogether()
    {
        CommitsTogether = true;
        return this;
    }

    public SubscriberBuilder Handle<TMessage, THandler>()
        where TMessage : IMessage
        where THandler : class, IMessageHandler<TMessage>
    {
        services.AddScoped<THandler>();
        Handlers[TMessage.MessageType] = new HandlerRegistration(
            body => JsonSerializer.Deserialize<TMessage>(body, MessageSerializer.Options),
            (services, message, context, cancellationToken) =>
                services.GetRequiredService<THandler>().HandleAsync((TMessage)message, context, cancellationToken));
        return this;
    }
}

internal sealed record HandlerRegistration(
    Func<byte[], object?> Deserialize,
    Func<IServiceProvider, object, MessageContext, CancellationToken, Task> InvokeAsync);
