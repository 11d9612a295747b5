using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CartoSelfHosted.Platform.Messaging.PubSub;

/// <summary>A message as a pull delivers it. <see cref="DeliveryAttempt"/> counts from 1 (subscriptions with a dead-letter policy).</summary>
public sealed record ReceivedMessage(
    string AckId, string MessageId, byte[] Data, IReadOnlyDictionary<string, string> Attributes, string? OrderingKey,
    int DeliveryAttempt, DateTimeOffset PublishTime);

/// <summary>A subscription as the broker should hold it.</summary>
public sealed record SubscriptionSettings(
    string Name, string Topic, int AckDeadlineSeconds, bool EnableMessageOrdering, string? DeadLetterTopic, int MaxDeliveryAttempts);

/// <summary>What the broker answered when a call failed, with Google's status name (NOT_FOUND, ALREADY_EXISTS…).</summary>
public sealed class PubSubException(HttpStatusCode statusCode, string status, string message)
    : Exception($"Pub/Sub answered {(int)statusCode} {status}: {message}")
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    public string Status { get; } = status;

    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;
}

/// <summary>
/// Google Cloud Pub/Sub's REST API (v1) on HttpClient: the official library cannot be restored here. The same calls
/// reach the emulator and Google Cloud; only the base address and the bearer token differ (see <see cref="PubSubClientFactory"/>).
/// </summary>
public sealed class PubSubClient(HttpClient http, string projectId) : IDisposable
{
    /// <summary>The broker holds an empty pull open for about 90 s before it answers with nothing.</summary>
    private static readonly TimeSpan PullTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ProjectId { get; } = projectId;

    /// <summary>A call to the broker failed: no answer, no answer in time, or an error answer. Worth trying again later.</summary>
    public static bool IsFailedCall(Exception exception) =>
        exception is HttpRequestException or PubSubException or TimeoutException;

    public string TopicPath(string topic) => $"projects/{ProjectId}/topics/{topic}";

    public string SubscriptionPath(string subscription) => $"projects/{ProjectId}/subscriptions/{subscription}";

    /// <summary>Creates the topic; one that already exists is left as it is.</summary>
    public async Task CreateTopicAsync(string topic, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Put, $"v1/{TopicPath(topic)}", new { }, CallTimeout, cancellationToken);
        await EnsureSuccessOrExistsAsync(response, cancellationToken);
    }

    /// <summary>Creates the subscription; one that already exists is left as it is.</summary>
    public async Task CreateSubscriptionAsync(SubscriptionSettings settings, CancellationToken cancellationToken)
    {
        var body = new SubscriptionBody(
            TopicPath(settings.Topic), settings.AckDeadlineSeconds, settings.EnableMessageOrdering,
            settings.DeadLetterTopic is { } deadLetterTopic
                ? new DeadLetterPolicyBody(TopicPath(deadLetterTopic), settings.MaxDeliveryAttempts)
                : null);
        using var response = await SendAsync(HttpMethod.Put, $"v1/{SubscriptionPath(settings.Name)}", body, CallTimeout, cancellationToken);
        await EnsureSuccessOrExistsAsync(response, cancellationToken);
    }

    /// <summary>Publishes one batch (at most 1,000 messages and 10 MB) and returns the broker's message ids, in order.</summary>
    public async Task<IReadOnlyList<string>> PublishAsync(string topic, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        var body = new PublishBody(messages
            .Select(message => new PubsubMessageBody(message.Data, message.Attributes, null, null, message.OrderingKey))
            .ToArray());
        using var response = await SendAsync(HttpMethod.Post, $"v1/{TopicPath(topic)}:publish", body, CallTimeout, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var result = await response.Content.ReadFromJsonAsync<PublishResult>(Json, cancellationToken);
        return result?.MessageIds ?? [];
    }

    /// <summary>Waits for up to <paramref name="maxMessages"/> messages; the broker answers as soon as it has any.</summary>
    public async Task<IReadOnlyList<ReceivedMessage>> PullAsync(string subscription, int maxMessages, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"v1/{SubscriptionPath(subscription)}:pull",
            new PullBody(maxMessages), PullTimeout, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var result = await response.Content.ReadFromJsonAsync<PullResult>(Json, cancellationToken);
        return result?.ReceivedMessages?.Select(received => new ReceivedMessage(
            received.AckId,
            received.Message.MessageId ?? "",
            received.Message.Data ?? [],
            received.Message.Attributes ?? new Dictionary<string, string>(),
            string.IsNullOrEmpty(received.Message.OrderingKey) ? null : received.Message.OrderingKey,
            received.DeliveryAttempt ?? 1,
            received.Message.PublishTime ?? DateTimeOffset.UtcNow)).ToArray() ?? [];
    }

    public async Task AcknowledgeAsync(string subscription, IReadOnlyCollection<string> ackIds, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"v1/{SubscriptionPath(subscription)}:acknowledge",
            new AckBody(ackIds), CallTimeout, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    /// <summary>Sets the messages' deadlines from now: more time while a handler runs, or 0..600 s until redelivery.</summary>
    public async Task ModifyAckDeadlineAsync(string subscription, IReadOnlyCollection<string> ackIds, int ackDeadlineSeconds,
        CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"v1/{SubscriptionPath(subscription)}:modifyAckDeadline",
            new ModifyAckDeadlineBody(ackIds, ackDeadlineSeconds), CallTimeout, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    public void Dispose() => http.Dispose();

    private async Task<HttpResponseMessage> SendAsync<TBody>(HttpMethod method, string path, TBody body, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: Json) };
        try
        {
            return await http.SendAsync(request, timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Pub/Sub did not answer {method} {path} within {timeout.TotalSeconds:0} s.");
        }
    }

    private static async Task EnsureSuccessOrExistsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode != HttpStatusCode.Conflict)
        {
            await EnsureSuccessAsync(response, cancellationToken);
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        ErrorBody? error = null;
        try
        {
            error = (await response.Content.ReadFromJsonAsync<ErrorResult>(Json, cancellationToken))?.Error;
        }
        catch (JsonException)
        {
            // Not Google's error shape (a proxy's page, say): the status code alone has to do.
        }
        throw new PubSubException(response.StatusCode, error?.Status ?? response.StatusCode.ToString(),
            error?.Message ?? response.ReasonPhrase ?? "");
    }

    private sealed record SubscriptionBody(string Topic, int AckDeadlineSeconds, bool EnableMessageOrdering, DeadLetterPolicyBody? DeadLetterPolicy);

    private sealed record DeadLetterPolicyBody(string DeadLetterTopic, int MaxDeliveryAttempts);

    private sealed record PublishBody(PubsubMessageBody[] Messages);

    private sealed record PubsubMessageBody(
        byte[]? Data, IReadOnlyDictionary<string, string>? Attributes, string? MessageId, DateTimeOffset? PublishTime, string? OrderingKey);

    private sealed record PublishResult(string[]? MessageIds);

    private sealed record PullBody(int MaxMessages);

    private sealed record PullResult(ReceivedBody[]? ReceivedMessages);

    private sealed record ReceivedBody(string AckId, PubsubMessageBody Message, int? DeliveryAttempt);

    private sealed record AckBody(IReadOnlyCollection<string> AckIds);

    private sealed record ModifyAckDeadlineBody(IReadOnlyCollection<string> AckIds, int AckDeadlineSeconds);

    private sealed record ErrorResult(ErrorBody? Error);

    private sealed record ErrorBody(int Code, string? Message, string? Status);
}
