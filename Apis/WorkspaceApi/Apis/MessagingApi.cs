using System.ComponentModel;
using System.Security.Claims;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.Ping;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using Microsoft.AspNetCore.Mvc;

namespace CartoSelfHosted.WorkspaceApi.Apis;

/// <summary>
/// The messaging backbone, seen from outside: a ping that travels API → outbox → Pub/Sub → every worker and is
/// recorded by each, and the per-subscription totals.
/// </summary>
public static class MessagingApi
{
    public static IEndpointRouteBuilder MapMessagingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/messaging").WithTags("Messaging");
        api.MapPost("/pings", SendPing)
            .WithSummary("Send a ping to the workers")
            .WithDescription("Puts one ping per topic in the outbox, in one transaction; each worker subscribed to it records it. " +
                "With the broker down it is still accepted: the ping waits in the outbox.")
            .Produces<PingAccepted>(StatusCodes.Status202Accepted)
            .WithProblem(StatusCodes.Status400BadRequest,
                "A topic no worker subscribes to, an empty `topics`, a delay outside 0–600000 ms, or malformed JSON.");
        api.MapGet("/pings/{id:guid}", GetPing)
            .WithSummary("Who handled a ping")
            .WithDescription("Each subscription that handled the ping: how many times (1 unless its inbox failed), on which delivery " +
                "attempt, when, and in which trace. Empty until the first worker has it.")
            .Produces<PingStatus>();
        api.MapGet("/status", GetStatus)
            .WithSummary("The messaging backbone's totals")
            .WithDescription("Per subscription, the messages handled, failed and dead-lettered; and the outbox's backlog.")
            .Produces<MessagingStatus>();
        return app;
    }

    public static async Task<IResult> SendPing(ClaimsPrincipal user, MetadataDatabase metadata, CancellationToken cancellationToken,
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] PingRequest? request)
    {
        var topics = request?.Topics ?? MessagingTopology.WorkerTopics;
        if (topics.FirstOrDefault(topic => !MessagingTopology.WorkerTopics.Contains(topic)) is { } unknown)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown topic",
                detail: $"'{unknown}' is not a topic workers subscribe to; use one of: {string.Join(", ", MessagingTopology.WorkerTopics)}.");
        }
        if (topics.Count == 0)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "No topic",
                detail: "topics, when given, names at least one topic.");
        }
        var delay = request?.DelayMilliseconds ?? 0;
        if (delay is < 0 or > PingMessage.MaxDelayMilliseconds)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid delay",
                detail: $"delayMilliseconds is between 0 and {PingMessage.MaxDelayMilliseconds}.");
        }

        var ping = new PingMessage(Guid.CreateVersion7(), user.GetOrganizationId(), delay, request?.Fail ?? false);
        var distinctTopics = topics.Distinct().ToArray();
        await using (var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await Pings.PublishAsync(transaction, ping, distinctTopics, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        var subscriptions = MessagingTopology.AllSubscriptions
            .Where(subscription => distinctTopics.Contains(subscription.Topic)).Select(subscription => subscription.Name).ToArray();
        return TypedResults.Accepted($"/api/v3/messaging/pings/{ping.PingId}", new PingAccepted(ping.PingId, distinctTopics, subscriptions));
    }

    public static async Task<IResult> GetPing([Description("The ping's id, as its 202 answer gave it.")] Guid id, ClaimsPrincipal user,
        MetadataDatabase metadata, CancellationToken cancellationToken) =>
        TypedResults.Ok(new PingStatus(id, await Pings.ReadDeliveriesAsync(metadata.DataSource, id, user.GetOrganizationId(), cancellationToken)));

    public static async Task<IResult> GetStatus(MetadataDatabase metadata, CancellationToken cancellationToken) =>
        TypedResults.Ok(await MessagingStatus.ReadAsync(metadata.DataSource, cancellationToken));
}

public sealed record PingRequest(
    [property: Description("The worker topics to ping; all of them when absent.")] IReadOnlyList<string>? Topics = null,
    [property: Description("How long each handler waits before it records the ping, 0 to 600000 ms.")] int? DelayMilliseconds = null,
    [property: Description("Whether each handler fails (and the message is retried, then dead-lettered).")] bool? Fail = null);

public sealed record PingAccepted(Guid Id, IReadOnlyList<string> Topics, IReadOnlyList<string> Subscriptions);

public sealed record PingStatus(Guid Id, IReadOnlyList<PingDelivery> Deliveries);
