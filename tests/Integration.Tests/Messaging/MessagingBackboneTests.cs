using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using static CartoSelfHosted.Platform.Messaging.Topology.MessagingTopology;

namespace CartoSelfHosted.Integration.Tests.Messaging;

/// <summary>
/// The outbox, the subscribers and the inbox against real brokers and PostgreSQL, every test once per broker (the Pub/Sub
/// emulator, RabbitMQ): the platform's guarantees are the same on both. Every test has its own metadata database and
/// its own space on the broker; the worker is the subscriber of sql-worker with a test handler.
/// </summary>
public sealed class MessagingBackboneTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static void AddWorker(IHostApplicationBuilder builder) =>
        builder.AddSubscriber(Subscriptions.SqlWorker).Handle<CountedMessage, CountedHandler>();

    private static void AddApiAndWorker(IHostApplicationBuilder builder)
    {
        builder.AddOutbox();
        AddWorker(builder);
    }

    /// <summary>The same worker, its messages committed together under load.</summary>
    private static void AddApiAndCommittingTogetherWorker(IHostApplicationBuilder builder)
    {
        builder.AddOutbox();
        builder.AddSubscriber(Subscriptions.SqlWorker).CommitTogether().Handle<CountedMessage, CountedHandler>();
    }

    /// <summary>A worker on an ordered subscription (cdn-invalidator's): messages of one ordering key in order.</summary>
    private static void AddApiAndOrderedWorker(IHostApplicationBuilder builder)
    {
        builder.AddOutbox();
        builder.AddSubscriber(Subscriptions.CdnInvalidator).Handle<CountedMessage, CountedHandler>();
    }

    [Theory]
    [MemberData(nameof(TestBroker.All), MemberType = typeof(TestBroker))]
    public async Task TenThousandMessagesThroughTheOutboxAreEachHandledOnceThoughSomeComeTwice(string broker)
    {
        await using var environment = await MessagingEnvironment.CreateAsync("msg_10k", broker);
        await environment.StartHostAsync(AddApiAndWorker, new Dictionary<string, string?>
        {
            ["Messaging:MaxConcurrency"] = "16",
            ["Messaging:MaxOutstandingMessages"] = "500",
        });

        // 100 requests of 100 messages, four at a time; every 50th message fails its first attempt and comes back.
        await Parallel.ForEachAsync(Enumerable.Range(0, 100),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = TestContext.Current.CancellationToken },
            async (request, _) => await environment.EnqueueAsync(Topics.SqlJobs,
                Enumerable.Range(request * 100, 100).Select(sequence => new CountedMessage(sequence, FailFirstAttempt: sequence % 50 == 7))));
        await WaitUntilAsync(async () => await environment.ScalarAsync<long>("SELECT count(*) FROM test_counted") >= 2000,
            Patience, "a fifth of the messages handled");

        // As if the dispatcher had died between publishing 500 rows and marking them sent: they go out a second time.
        var resent = await environment.ScalarAsync<long>("""
            WITH resent AS (
                UPDATE outbox_messages SET sent_at = NULL
                WHERE id IN (SELECT id FROM outbox_messages WHERE sent_at IS NOT NULL ORDER BY id LIMIT 500) RETURNING id)
            SELECT count(*) FROM resent
            """);
        Assert.Equal(500, resent);
        await environment.ScalarAsync<object>($"SELECT pg_notify('{OutboxWriter.NotificationChannel}', '')");

        await WaitUntilAsync(async () =>
                await environment.ScalarAsync<long>("SELECT count(*) FROM test_counted") == 10_000
                && await environment.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL") == 0,
            Patience, "all 10,000 messages handled and the outbox empty");
        await WaitUntilAsync(async () =>
                await environment.ScalarAsync<long>("SELECT coalesce(sum(handled + failed), 0)::bigint FROM subscription_stats") == 10_200,
            Patience, "the subscriber's counters to be flushed");
        // Time for copies of re-sent messages still on their way to arrive and be dropped by the inbox.
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);

        Assert.Equal(1, await environment.ScalarAsync<int>("SELECT max(handled_count) FROM test_counted"));
        Assert.Equal(10_000, await environment.ScalarAsync<long>("SELECT count(*) FROM inbox_messages"));
        Assert.Equal(Enumerable.Range(0, 200).Select(index => index * 50 + 7).ToList(),
            await environment.ColumnAsync<int>("SELECT sequence FROM test_counted WHERE delivery_attempt = 2 ORDER BY sequence"));
        Assert.Equal(500, await environment.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE publish_attempts = 2"));
        Assert.Equal(10_000, await environment.ScalarAsync<long>("SELECT handled FROM subscription_stats"));
        Assert.Equal(200, await environment.ScalarAsync<long>("SELECT failed FROM subscription_stats"));
    }

    [Theory]
    [MemberData(nameof(TestBroker.All), MemberType = typeof(TestBroker))]
    public async Task AMessageThatAlwaysFailsIsDeadLetteredAfterFiveAttemptsWhileOthersFlow(string broker)
    {
        // The same outcomes as a metric (what the dashboard charts). The listener hears every test of the process, so
        // other tests' messages on this subscription may add to the counts: at least, not exactly.
        var processed = new ConcurrentDictionary<string, long>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument is { Meter.Name: MessagingTelemetry.SourceName, Name: "carto.messaging.processed" })
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meterListener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var all = tags.ToArray().ToDictionary(tag => tag.Key, tag => tag.Value as string);
            if (all["messaging.destination.subscription.name"] == Subscriptions.SqlWorker.Name)
            {
                processed.AddOrUpdate(all["outcome"]!, value, (_, total) => total + value);
            }
        });
        meterListener.Start();

        await using var environment = await MessagingEnvironment.CreateAsync("msg_poison", broker);
        await environment.StartHostAsync(AddApiAndWorker, new Dictionary<string, string?>
        {
            ["Messaging:MinRetryDelay"] = "00:00:01",
            ["Messaging:MaxRetryDelay"] = "00:00:02",
        });

        await environment.EnqueueAsync(Topics.SqlJobs,
            [new CountedMessage(0, AlwaysFail: true), .. Enumerable.Range(1, 100).Select(sequence => new CountedMessage(sequence))]);

        await WaitUntilAsync(async () => await environment.ScalarAsync<long>("SELECT count(*) FROM test_counted") == 100,
            Patience, "the 100 good messages");
        var othersDone = DateTimeOffset.UtcNow;

        var deadLetter = await environment.Broker.ReceiveDeadLetterAsync(Subscriptions.SqlWorker.DeadLetterTopic, TestContext.Current.CancellationToken);
        Assert.Equal("5", deadLetter.Attributes[MessageAttributes.DeadLetterDeliveryAttempt]);
        Assert.Equal(Subscriptions.SqlWorker.Name, deadLetter.Attributes[MessageAttributes.DeadLetterSubscription]);
        Assert.Contains("message 0 fails on purpose", deadLetter.Attributes[MessageAttributes.DeadLetterReason]);
        Assert.Equal(CountedMessage.MessageType, deadLetter.Attributes[MessageAttributes.MessageType]);
        Assert.Contains("\"sequence\":0", Encoding.UTF8.GetString(deadLetter.Data));
        // Retries wait 1 + 2 + 2 + 2 s: the others were all handled long before the poison gave up.
        Assert.True(deadLetter.PublishTime > othersDone, $"dead-lettered at {deadLetter.PublishTime:O}, others done at {othersDone:O}");
        // Its effects were rolled back each time.
        Assert.Equal(0, await environment.ScalarAsync<long>("SELECT count(*) FROM test_counted WHERE sequence = 0"));
        await WaitUntilAsync(async () =>
                await environment.ScalarAsync<long>("SELECT coalesce(sum(dead_lettered), 0)::bigint FROM subscription_stats") == 1,
            Patience, "the dead letter to be counted");
        Assert.Equal(5, await environment.ScalarAsync<long>("SELECT failed FROM subscription_stats"));
        Assert.True(processed.GetValueOrDefault("handled") >= 100, $"handled: {processed.GetValueOrDefault("handled")}");
        Assert.True(processed.GetValueOrDefault("failed") >= 5, $"failed: {processed.GetValueOrDefault("failed")}");
        Assert.True(processed.GetValueOrDefault("dead_lettered") >= 1, $"dead_lettered: {processed.GetValueOrDefault("dead_lettered")}");
    }

    [Theory]
    [MemberData(nameof(TestBroker.All), MemberType = typeof(TestBroker))]
    public async Task MessagesCommittedTogetherAreEachHandledOnceInTheirOwnTraceAndAFailingOneTakesOnlyItselfBack(string broker)
    {
        // The subscriber makes its spans only when something listens; each message's is then the root of its own trace.
        using var listening = new ProcessSpans();
        await using var environment = await MessagingEnvironment.CreateAsync("msg_together", broker);
        await environment.StartHostAsync(AddApiAndCommittingTogetherWorker, new Dictionary<string, string?>
        {
            ["Messaging:MaxConcurrency"] = "16",
            ["Messaging:MaxOutstandingMessages"] = "500",
            ["Messaging:MinRetryDelay"] = "00:00:00.1",
            ["Messaging:MaxRetryDelay"] = "00:00:00.2",
        });

        // 20 requests of 100 messages, four at a time: every 50th fails its first attempt, and message 1000 every one.
        await Parallel.ForEachAsync(Enumerable.Range(0, 20),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = TestContext.Current.CancellationToken },
            async (request, _) => await environment.EnqueueAsync(Topics.SqlJobs, Enumerable.Range(request * 100, 100)
                .Select(sequence => new CountedMessage(sequence, FailFirstAttempt: sequence % 50 == 7, AlwaysFail: sequence == 1000))));

        await WaitUntilAsync(async () => await environment.ScalarAsync<long>("SELECT count(*) FROM test_counted") == 1999,
            Patience, "the 1,999 good messages");
        var deadLetter = await environment.Broker.ReceiveDeadLetterAsync(Subscriptions.SqlWorker.DeadLetterTopic, TestContext.Current.CancellationToken);
        Assert.Contains("message 1000 fails on purpose", deadLetter.Attributes[MessageAttributes.DeadLetterReason]);

        // Each had its effects once, though a failing batch-mate's batch ran again without it; the failing one had none.
        Assert.Equal(1, await environment.ScalarAsync<int>("SELECT max(handled_count) FROM test_counted"));
        Assert.Equal(0, await environment.ScalarAsync<long>("SELECT count(*) FROM test_counted WHERE sequence = 1000"));
        Assert.Equal(1999, await environment.ScalarAsync<long>("SELECT count(*) FROM inbox_messages"));
        Assert.Equal(Enumerable.Range(0, 40).Select(index => index * 50 + 7).ToList(),
            await environment.ColumnAsync<int>("SELECT sequence FROM test_counted WHERE delivery_attempt = 2 ORDER BY sequence"));
        // Committed together: far fewer transactions than messages.
        var transactions = await environment.ScalarAsync<long>("SELECT count(DISTINCT committed_in) FROM test_counted");
        Assert.True(transactions < 1000, $"{transactions} transactions for 1,999 messages");
        // Every handler ran in its own message's trace (the one its outbox row carries), not in its committer's.
        Assert.Equal(1999, await environment.ScalarAsync<long>("""
            SELECT count(*) FROM test_counted JOIN outbox_messages USING (message_id)
            WHERE outbox_messages.attributes->>'traceparent' LIKE '00-' || test_counted.trace_id || '-%'
            """));
    }

    [Theory]
    [MemberData(nameof(TestBroker.All), MemberType = typeof(TestBroker))]
    public async Task UnreadableMessagesAreDeadLetteredAtOnceWithTheReasonAndTheWorkerKeepsGoing(string broker)
    {
        await using var environment = await MessagingEnvironment.CreateAsync("msg_unreadable", broker);
        var host = await environment.StartHostAsync(AddApiAndWorker);
        var publisher = host.Services.GetRequiredService<IMessageBroker>();
        await publisher.EnsureTopologyAsync(TestContext.Current.CancellationToken);

        // Sent around the outbox, as a foreign or broken publisher would.
        await publisher.PublishAsync(Topics.SqlJobs,
        [
            new OutgoingMessage("{\"sequence\": tru"u8.ToArray(), new Dictionary<string, string>
            {
                [MessageAttributes.MessageType] = CountedMessage.MessageType,
                [MessageAttributes.MessageId] = Guid.NewGuid().ToString(),
                ["case"] = "truncated json",
            }),
            new OutgoingMessage("{}"u8.ToArray(), new Dictionary<string, string> { ["case"] = "no message type" }),
            new OutgoingMessage("{}"u8.ToArray(), new Dictionary<string, string>
            {
                [MessageAttributes.MessageType] = "no-such-type",
                [MessageAttributes.MessageId] = Guid.NewGuid().ToString(),
                ["case"] = "unknown type",
            }),
        ], TestContext.Current.CancellationToken);
        await environment.EnqueueAsync(Topics.SqlJobs, [new CountedMessage(1)]);

        var reasons = new Dictionary<string, string>();
        while (reasons.Count < 3)
        {
            var deadLetter = await environment.Broker.ReceiveDeadLetterAsync(Subscriptions.SqlWorker.DeadLetterTopic, TestContext.Current.CancellationToken);
            Assert.Equal("1", deadLetter.Attributes[MessageAttributes.DeadLetterDeliveryAttempt]);
            reasons[deadLetter.Attributes["case"]] = deadLetter.Attributes[MessageAttributes.DeadLetterReason];
        }
        Assert.StartsWith("its body is not a valid 'test-counted' message", reasons["truncated json"]);
        Assert.Equal("it has no message-type attribute", reasons["no message type"]);
        Assert.Equal("sql-jobs.sql-worker has no handler for message type 'no-such-type'", reasons["unknown type"]);
        await WaitUntilAsync(async () => await environment.ScalarAsync<long>("SELECT count(*) FROM test_counted") == 1,
            Patience, "the good message after the bad ones");
    }

    [Theory]
    [MemberData(nameof(TestBroker.All), MemberType = typeof(TestBroker))]
    public async Task AHandlerRunningLongerThanTheAckDeadlineIsNotRedeliveredMeanwhile(string broker)
    {
        using var processed = new ProcessSpans();
        await using var environment = await MessagingEnvironment.CreateAsync("msg_slow", broker);
        await environment.StartHostAsync(AddApiAndWorker, new Dictionary<string, string?> { ["Messaging:AckDeadlineSeconds"] = "10" });

        using (processed.StartTestActivity())
        {
            await environment.EnqueueAsync(Topics.SqlJobs, [new CountedMessage(1, DelayMilliseconds: 14_000)]);
        }

        await WaitUntilAsync(async () => await environment.ScalarAsync<long>("SELECT count(*) FROM test_counted") == 1,
            Patience, "the slow message");
        // Had its deadline passed, the broker would have delivered it again by now, and a second process span would show.
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);

        var delivery = Assert.Single(processed.Spans);
        var system = (string)delivery.GetTagItem("messaging.system")!;
        Assert.Equal(1, delivery.GetTagItem($"messaging.{system}.message.delivery_attempt"));
        Assert.True(delivery.Duration > TimeSpan.FromSeconds(13), $"the handler ran for {delivery.Duration}");
        Assert.Equal(1, await environment.ScalarAsync<int>("SELECT handled_count FROM test_counted"));
    }

    [Theory]
    [MemberData(nameof(TestBroker.All), MemberType = typeof(TestBroker))]
    public async Task MessagesOfOneOrderingKeyAreHandledInOrderEvenWhenOneOfThemFailsOnce(string broker)
    {
        await using var environment = await MessagingEnvironment.CreateAsync("msg_ordered", broker);
        await environment.StartHostAsync(AddApiAndOrderedWorker, new Dictionary<string, string?> { ["Messaging:MaxConcurrency"] = "8" });

        for (var request = 0; request < 4; request++)
        {
            await environment.EnqueueAsync(Topics.DataChanged,
                Enumerable.Range(request * 50, 50).Select(sequence => new CountedMessage(sequence, FailFirstAttempt: sequence == 60)),
                orderingKey: "table-1");
        }

        await WaitUntilAsync(async () => await environment.ScalarAsync<long>("SELECT count(*) FROM test_counted") == 200,
            Patience, "the 200 ordered messages");
        Assert.Equal(Enumerable.Range(0, 200).ToList(),
            await environment.ColumnAsync<int>("SELECT sequence FROM test_counted ORDER BY position"));
        Assert.Equal(2, await environment.ScalarAsync<int>("SELECT delivery_attempt FROM test_counted WHERE sequence = 60"));
    }

    [Theory]
    [MemberData(nameof(TestBroker.All), MemberType = typeof(TestBroker))]
    public async Task WhileTheBrokerIsDownWorkWaitsInTheOutboxHealthIsDegradedAndItDrainsInOrderOnceTheBrokerIsBack(string broker)
    {
        await using var environment = await MessagingEnvironment.CreateAsync("msg_down", broker, brokerDown: true);
        var host = await environment.StartHostAsync(AddApiAndOrderedWorker);

        for (var request = 0; request < 3; request++)
        {
            await environment.EnqueueAsync(Topics.DataChanged,
                Enumerable.Range(request * 10, 10).Select(sequence => new CountedMessage(sequence)), orderingKey: "table-1");
        }
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        Assert.Equal(30, await environment.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL"));
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HealthStatus.Degraded, health.Entries[broker].Status);

        using var lateBroker = environment.Broker.StartLate();
        await WaitUntilAsync(async () => await environment.ScalarAsync<long>("SELECT count(*) FROM test_counted") == 30,
            Patience, "the outbox to drain once the broker is up");
        Assert.Equal(Enumerable.Range(0, 30).ToList(),
            await environment.ColumnAsync<int>("SELECT sequence FROM test_counted ORDER BY position"));
        Assert.Equal(0, await environment.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL"));
        // MassTransit's check follows its bus's own state, which can lag the first messages by a moment.
        await WaitUntilAsync(async () => (await host.Services.GetRequiredService<HealthCheckService>()
                .CheckHealthAsync(TestContext.Current.CancellationToken)).Entries[broker].Status == HealthStatus.Healthy,
            TimeSpan.FromSeconds(30), "the broker's health check to be Healthy again");
    }

    [Fact]
    public async Task OnRabbitMqAMessageNoQueueTookIsPublishedAgainOnceTheTopologyIsDeclaredAgain()
    {
        await using var environment = await MessagingEnvironment.CreateAsync("msg_unrouted", MessageBrokers.RabbitMq);
        var host = await environment.StartHostAsync(AddApiAndWorker);
        await host.Services.GetRequiredService<IMessageBroker>().EnsureTopologyAsync(TestContext.Current.CancellationToken);
        // As if the broker had lost its definitions (replaced, or reset empty): nothing routes the topic to the worker.
        await ((RabbitMqTestBroker)environment.Broker).UnbindAsync(Subscriptions.SqlWorker.Name, Topics.SqlJobs, TestContext.Current.CancellationToken);

        await environment.EnqueueAsync(Topics.SqlJobs, [new CountedMessage(1)]);

        await WaitUntilAsync(async () => await environment.ScalarAsync<long>("SELECT count(*) FROM test_counted") == 1,
            Patience, "the message to be handled once the topology is back");
        // RabbitMQ returned the first publish (mandatory): the outbox kept the row and published it again.
        Assert.True(await environment.ScalarAsync<int>("SELECT publish_attempts FROM outbox_messages") >= 2);
        Assert.Equal(1, await environment.ScalarAsync<int>("SELECT handled_count FROM test_counted"));
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        Eventually.WaitUntilAsync(condition, timeout, what, TestContext.Current.CancellationToken);

    /// <summary>The subscriber's "process" spans of messages sent under this test's own trace.</summary>
    private sealed class ProcessSpans : IDisposable
    {
        private static readonly ActivitySource TestSource = new("CartoSelfHosted.Integration.Tests");
        private readonly ActivityListener _listener;
        private readonly ConcurrentQueue<Activity> _spans = new();
        private ActivityTraceId _traceId;

        public ProcessSpans()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is MessagingTelemetry.SourceName or "CartoSelfHosted.Integration.Tests",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.TraceId == _traceId && activity.Kind == ActivityKind.Consumer)
                    {
                        _spans.Enqueue(activity);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public IReadOnlyCollection<Activity> Spans => _spans;

        public Activity StartTestActivity()
        {
            var activity = TestSource.StartActivity("test")!;
            _traceId = activity.TraceId;
            return activity;
        }

        public void Dispose() => _listener.Dispose();
    }
}
