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
        var api = app.MapGroup("/api/v3/messaging");
        api.MapPost("/pings", SendPing);
        api.MapGet("/pings/{id:guid}", GetPing);
        api.MapGet("/status", GetStatus);
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

    public static async Task<IResult> GetPing(Guid id, ClaimsPrincipal user, MetadataDatabase metadata, CancellationToken cancellationToken) =>
        TypedResults.Ok(new PingStatus(id, await Pings.ReadDeliveriesAsync(metadata.DataSource, id, user.GetOrganizationId(), cancellationToken)));

    public static async Task<IResult> GetStatus(MetadataDatabase metadata, CancellationToken cancellationToken) =>
        TypedResults.Ok(await MessagingStatus.ReadAsync(metadata.DataSource, cancellationToken));
}

public sealed record PingRequest(IReadOnlyList<string>? Topics, int? DelayMilliseconds, bool? Fail);

public sealed record PingAccepted(Guid Id, IReadOnlyList<string> Topics, IReadOnlyList<string> Subscriptions);

public sealed record PingStatus(Guid Id, IReadOnlyList<PingDelivery> Deliveries);
