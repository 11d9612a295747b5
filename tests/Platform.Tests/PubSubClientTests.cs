using System.Net;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.PubSub;
using CartoSelfHosted.Platform.Messaging.Topology;
using Google.Apis.Auth.OAuth2;

namespace CartoSelfHosted.Platform.Tests;

/// <summary>
/// The requests the Pub/Sub client sends to Google Cloud, seen on the wire: paths, JSON bodies and the bearer token
/// from Google's credential. No test calls Google; the emulator tests run the same calls for real.
/// </summary>
public sealed class PubSubClientTests
{
    private const string GoogleBase = "https://pubsub.googleapis.com/";

    [Fact]
    public async Task PublishPostsGooglesMessageShapeWithTheCredentialsBearerToken()
    {
        var wire = new RecordingHandler("""{"messageIds":["11","12"]}""");
        using var client = CreateClient(wire);

        var ids = await client.PublishAsync("import-jobs",
        [
            new OutgoingMessage("hello"u8.ToArray(), new Dictionary<string, string> { ["message-type"] = "ping" }, "table-1"),
            new OutgoingMessage([], new Dictionary<string, string>()),
        ], TestContext.Current.CancellationToken);

        Assert.Equal(["11", "12"], ids);
        var request = Assert.Single(wire.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal($"{GoogleBase}v1/projects/my-project/topics/import-jobs:publish", request.Uri);
        Assert.Equal("Bearer ya29.test-token", request.Authorization);
        Assert.Equal(GoogleBase.TrimEnd('/'), Assert.Single(wire.Credential.AuthUris));
        var messages = request.Body.GetProperty("messages");
        Assert.Equal(2, messages.GetArrayLength());
        Assert.Equal(Convert.ToBase64String("hello"u8), messages[0].GetProperty("data").GetString());
        Assert.Equal("ping", messages[0].GetProperty("attributes").GetProperty("message-type").GetString());
        Assert.Equal("table-1", messages[0].GetProperty("orderingKey").GetString());
        // Fields the broker sets are never sent.
        Assert.False(messages[0].TryGetProperty("messageId", out _));
        Assert.False(messages[0].TryGetProperty("publishTime", out _));
        Assert.False(messages[1].TryGetProperty("orderingKey", out _));
    }

    [Fact]
    public async Task ASubscriptionIsPutWithItsDeadLetterPolicyAndOrderingAndAnExistingOneIsNoError()
    {
        var wire = new RecordingHandler("""{"error":{"code":409,"message":"Subscription already exists","status":"ALREADY_EXISTS"}}""",
            HttpStatusCode.Conflict);
        using var client = CreateClient(wire);
        // An ordered subscription: cdn-invalidator's, whose messages carry a table's ordering key.
        var settings = MessagingTopology.Settings(MessagingTopology.Subscriptions.CdnInvalidator, ackDeadlineSeconds: 10, maxDeliveryAttempts: 5).First();

        await client.CreateSubscriptionAsync(settings, TestContext.Current.CancellationToken);

        var request = Assert.Single(wire.Requests);
        Assert.Equal(HttpMethod.Put, request.Method);
        Assert.Equal($"{GoogleBase}v1/projects/my-project/subscriptions/data-changed.cdn-invalidator", request.Uri);
        Assert.Equal("Bearer ya29.test-token", request.Authorization);
        Assert.Equal("projects/my-project/topics/data-changed", request.Body.GetProperty("topic").GetString());
        Assert.Equal(10, request.Body.GetProperty("ackDeadlineSeconds").GetInt32());
        Assert.True(request.Body.GetProperty("enableMessageOrdering").GetBoolean());
        var policy = request.Body.GetProperty("deadLetterPolicy");
        Assert.Equal("projects/my-project/topics/data-changed.cdn-invalidator.dead-letter", policy.GetProperty("deadLetterTopic").GetString());
        // The subscriber dead-letters after 5 failures itself; the broker's policy is the backstop one attempt later.
        Assert.Equal(6, policy.GetProperty("maxDeliveryAttempts").GetInt32());
    }

    [Fact]
    public async Task PullReadsReceivedMessagesAndAcknowledgeAndModifyAckDeadlineNameTheirAckIds()
    {
        var wire = new RecordingHandler("""
            {"receivedMessages":[{"ackId":"ack-1","deliveryAttempt":3,"message":{"data":"aGk=","attributes":{"k":"v"},
             "messageId":"42","publishTime":"2026-11-21T10:00:00.123Z","orderingKey":"table-1"}}]}
            """);
        using var client = CreateClient(wire);

        var received = Assert.Single(await client.PullAsync("sql-jobs.sql-worker", 7, TestContext.Current.CancellationToken));
        await client.AcknowledgeAsync("sql-jobs.sql-worker", ["ack-1"], TestContext.Current.CancellationToken);
        await client.ModifyAckDeadlineAsync("sql-jobs.sql-worker", ["ack-1", "ack-2"], 30, TestContext.Current.CancellationToken);

        Assert.Equal(("ack-1", "42", "hi", "v", "table-1", 3), (received.AckId, received.MessageId, Encoding.UTF8.GetString(received.Data),
            received.Attributes["k"], received.OrderingKey, received.DeliveryAttempt));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 10, 0, 0, 123, TimeSpan.Zero), received.PublishTime);
        Assert.Equal(7, wire.Requests[0].Body.GetProperty("maxMessages").GetInt32());
        Assert.Equal($"{GoogleBase}v1/projects/my-project/subscriptions/sql-jobs.sql-worker:acknowledge", wire.Requests[1].Uri);
        Assert.Equal("ack-1", wire.Requests[1].Body.GetProperty("ackIds")[0].GetString());
        Assert.Equal($"{GoogleBase}v1/projects/my-project/subscriptions/sql-jobs.sql-worker:modifyAckDeadline", wire.Requests[2].Uri);
        Assert.Equal(30, wire.Requests[2].Body.GetProperty("ackDeadlineSeconds").GetInt32());
        Assert.Equal(2, wire.Requests[2].Body.GetProperty("ackIds").GetArrayLength());
        Assert.All(wire.Requests, request => Assert.Equal("Bearer ya29.test-token", request.Authorization));
    }

    [Fact]
    public async Task AnErrorCarriesGooglesStatus()
    {
        using var client = CreateClient(new RecordingHandler(
            """{"error":{"code":404,"message":"Resource not found (resource=import-jobs).","status":"NOT_FOUND"}}""", HttpStatusCode.NotFound));

        var error = await Assert.ThrowsAsync<PubSubException>(() =>
            client.PublishAsync("import-jobs", [new OutgoingMessage([1], new Dictionary<string, string>())], TestContext.Current.CancellationToken));

        Assert.True(error.IsNotFound);
        Assert.Equal("NOT_FOUND", error.Status);
        Assert.Contains("Resource not found", error.Message);
    }

    [Fact]
    public void RetryDelaysDoubleFromTheMinimumUpToTheMaximum()
    {
        var options = new MessagingOptions { MinRetryDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromSeconds(10) };

        Assert.Equal([1, 2, 4, 8, 10, 10], Enumerable.Range(1, 6).Select(attempt => options.RetryDelay(attempt).TotalSeconds));
    }

    private static PubSubClient CreateClient(RecordingHandler wire) =>
        new(new HttpClient(new BearerTokenHandler(wire.Credential) { InnerHandler = wire }) { BaseAddress = new Uri(GoogleBase) }, "my-project");

    private sealed record RecordedRequest(HttpMethod Method, string Uri, string? Authorization, JsonElement Body);

    /// <summary>Answers every request with one canned response and keeps what was sent.</summary>
    private sealed class RecordingHandler(string responseBody, HttpStatusCode status = HttpStatusCode.OK) : HttpMessageHandler
    {
        public List<RecordedRequest> Requests { get; } = [];

        public RecordingCredential Credential { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "{}" : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add(new RecordedRequest(request.Method, request.RequestUri!.ToString(), request.Headers.Authorization?.ToString(),
                JsonDocument.Parse(body).RootElement.Clone()));
            return new HttpResponseMessage(status) { Content = new StringContent(responseBody, Encoding.UTF8, "application/json") };
        }
    }

    /// <summary>Google's credential interface, answering a fixed access token.</summary>
    private sealed class RecordingCredential : ITokenAccess
    {
        public List<string?> AuthUris { get; } = [];

        public Task<string> GetAccessTokenForRequestAsync(string? authUri = null, CancellationToken cancellationToken = default)
        {
            AuthUris.Add(authUri);
            return Task.FromResult("ya29.test-token");
        }
    }
}
