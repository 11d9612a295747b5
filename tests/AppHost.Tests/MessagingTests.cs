using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>The messaging backbone on the Pub/Sub emulator, the default broker.</summary>
public sealed class MessagingOnPubSubTests(RunningPlatform running) : MessagingTests(running), IClassFixture<RunningPlatform>;

/// <summary>
/// The same on RabbitMQ (<c>Messaging:Broker=rabbitmq</c>): the platform starts and works without any Pub/Sub emulator.
/// </summary>
public sealed class MessagingOnRabbitMqTests(RunningPlatformOnRabbitMq running) : MessagingTests(running), IClassFixture<RunningPlatformOnRabbitMq>
{
    [Fact]
    public void ThePlatformRunsRabbitMqAndNoPubSubEmulator()
    {
        var resources = Platform.Resources().Select(resource => resource.Name).ToList();
        Assert.Contains("rabbitmq", resources);
        Assert.DoesNotContain("pubsub", resources);
    }
}

/// <summary>The messaging backbone in the running platform: API → outbox → broker → each worker process.</summary>
public abstract class MessagingTests(RunningPlatform running)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    protected PlatformInProcess Platform => running.Platform;

    /// <summary>Every subscription of the platform's workers, in the order the ping's deliveries list them.</summary>
    internal static readonly string[] Subscriptions =
    [
        "data-changed.cdn-invalidator", "data-changed.workspace-subscriber", "import-jobs.import-worker", "sql-jobs.sql-worker",
        "workspace-events.workspace-subscriber",
    ];

    [Fact]
    public async Task APingTravelsFromTheApiThroughTheBrokerToEveryWorkerInOneTrace()
    {
        await Platform.WaitHealthyAsync(Patience);
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

        var pingId = await SendPingAsync(new { }, traceId);

        var deliveries = await WaitForDeliveriesAsync(pingId, Subscriptions.Length);
        Assert.Equal(Subscriptions, deliveries.Select(delivery => delivery.GetProperty("subscription").GetString()));
        Assert.All(deliveries, delivery =>
        {
            Assert.Equal(1, delivery.GetProperty("handledCount").GetInt32());
            Assert.Equal(traceId, delivery.GetProperty("traceId").GetString());
        });

        // The Aspire dashboard has the API's request span and, in the same trace, each worker's process span under the
        // message's create span.
        // Each service exports on its own schedule: wait for the API's spans as well as the workers'.
        var spans = await WaitForSpansAsync(traceId, spans =>
            spans.Count(span => span.Name.EndsWith(" process")) == 5
            && spans.Any(span => span.Name == "POST /api/v3/messaging/pings")
            && spans.Any(span => span.Service == "router-http")
            && spans.Count(span => span.Name.EndsWith(" create")) == 4);
        var request = Assert.Single(spans, span => span.Name == "POST /api/v3/messaging/pings");
        Assert.Equal("workspace-api", request.Service);
        var sqlWorker = Assert.Single(spans, span => span.Name == "sql-jobs.sql-worker process");
        Assert.Equal("sql-worker", sqlWorker.Service);
        var create = Assert.Single(spans, span => span.SpanId == sqlWorker.ParentSpanId);
        Assert.Equal("sql-jobs create", create.Name);
        Assert.Equal(request.SpanId, create.ParentSpanId);
        Assert.Equal(["cdn-invalidator", "import-worker", "router-http", "sql-worker", "workspace-api", "workspace-subscriber"],
            spans.Select(span => span.Service).Distinct().Order());

        // The worker's log line for the message carries the trace id.
        Assert.Contains(Platform.LogOf("sql-worker").Split('\n'), line => line.Contains($"TraceId:{traceId}") && line.Contains("Handled ping"));

        // And workspace-api counts what each subscription handled.
        await WaitUntilAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Platform.Router, "/api/v3/messaging/status"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);
            using var response = await Platform.Http.SendAsync(request);
            var status = await response.Content.ReadFromJsonAsync<JsonElement>();
            var counted = status.GetProperty("subscriptions").EnumerateArray()
                .Where(subscription => subscription.GetProperty("handled").GetInt64() >= 1)
                .Select(subscription => subscription.GetProperty("subscription").GetString());
            return Subscriptions.All(counted.Contains);
        }, "workspace-api to count a handled message on every subscription");
    }

    [Fact]
    public async Task AWorkerKilledWhileHoldingMessagesHandlesEachOfThemOnceAfterItsRestart()
    {
        await Platform.WaitHealthyAsync(Patience);
        var pings = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            pings.Add(await SendPingAsync(new { topics = new[] { "sql-jobs" }, delayMilliseconds = 8000 }));
        }
        // Kill the worker only once it has started each of them (each takes 8 s): a ping still in the outbox or
        // the subscription would be a first delivery after the restart, not a redelivery.
        await WaitUntilAsync(() => Task.FromResult(pings.All(ping => Platform.LogOf("sql-worker").Contains($"Started ping {ping} on attempt 1"))),
            "the sql-worker to start each ping");
        var before = Platform.Resource("sql-worker");

        ProcessSignals.Kill9(await Platform.WorkingProcessAsync("sql-worker"));

        await Platform.WaitForResourceAsync("sql-worker", state => state.Restarts == before.Restarts + 1 && state.State == "Running", Patience);
        foreach (var ping in pings)
        {
            var delivery = Assert.Single(await WaitForDeliveriesAsync(ping, 1));
            Assert.Equal("sql-jobs.sql-worker", delivery.GetProperty("subscription").GetString());
            Assert.Equal(1, delivery.GetProperty("handledCount").GetInt32());
            // Not finished before the kill: handled on a later delivery, by the restarted worker.
            Assert.True(delivery.GetProperty("deliveryAttempt").GetInt32() >= 2, delivery.ToString());
        }
    }

    private async Task<Guid> SendPingAsync(object body, string? traceId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Platform.Router, "/api/v3/messaging/pings"))
        {
            Content = JsonContent.Create(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);
        if (traceId is not null)
        {
            request.Headers.Add("traceparent", $"00-{traceId}-b7ad6b7169203331-01");
        }
        using var response = await Platform.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetGuid();
    }

    private async Task<List<JsonElement>> WaitForDeliveriesAsync(Guid pingId, int count)
    {
        List<JsonElement> deliveries = [];
        await WaitUntilAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Platform.Router, $"/api/v3/messaging/pings/{pingId}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);
            using var response = await Platform.Http.SendAsync(request);
            deliveries = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deliveries").EnumerateArray().ToList();
            return deliveries.Count >= count;
        }, $"ping {pingId} to be handled by {count} subscriptions");
        return deliveries;
    }

    private async Task<List<DashboardSpan>> WaitForSpansAsync(string traceId, Func<List<DashboardSpan>, bool> complete)
    {
        List<DashboardSpan> spans = [];
        await WaitUntilAsync(async () =>
        {
            spans = await DashboardTelemetry.TraceAsync(Platform, traceId, TestContext.Current.CancellationToken);
            return complete(spans);
        }, $"the spans of trace {traceId} on the Aspire dashboard");
        return spans;
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) =>
        Eventually.WaitUntilAsync(condition, Patience, what, TestContext.Current.CancellationToken);
}
