using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Platform.Messaging;
using CartoSelfHosted.Platform.Messaging.PubSub;
using CartoSelfHosted.TestSupport;
using RabbitMQ.Client;

namespace CartoSelfHosted.Integration.Tests.Messaging;

/// <summary>A message read back from a dead-letter subscription, whichever broker kept it.</summary>
public sealed record DeadLetter(byte[] Data, IReadOnlyDictionary<string, string> Attributes, DateTimeOffset PublishTime);

/// <summary>
/// A broker as one test sees it: a space of its own on the test servers' broker (a Pub/Sub project, a RabbitMQ virtual
/// host), so tests never see each other's messages; the settings that point a service at it; and the test's own view
/// of it, to read what landed in a dead-letter subscription.
/// </summary>
public abstract class TestBroker : IAsyncDisposable
{
    /// <summary>The brokers every messaging test runs on, as xunit theory data.</summary>
    public static TheoryData<string> All => [MessageBrokers.PubSub, MessageBrokers.RabbitMq];

    /// <summary><c>pubsub</c> or <c>rabbitmq</c>: the value of <c>Messaging:Broker</c> and the name of the health check.</summary>
    public abstract string Name { get; }

    public abstract IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>Waits for one message in the dead-letter subscription (queue) <paramref name="name"/>, takes it and returns it.</summary>
    public abstract Task<DeadLetter> ReceiveDeadLetterAsync(string name, CancellationToken cancellationToken);

    /// <summary>A space on the test servers' broker.</summary>
    public static async Task<TestBroker> CreateAsync(string broker) => broker switch
    {
        MessageBrokers.PubSub => new PubSubTestBroker(TestServers.PubSubEmulatorHost),
        MessageBrokers.RabbitMq => await RabbitMqTestBroker.CreateVirtualHostAsync(),
        _ => throw new ArgumentOutOfRangeException(nameof(broker), broker, null),
    };

    /// <summary>A broker that is not there (yet): nothing listens on its port until <see cref="StartLate"/>.</summary>
    public static TestBroker CreateDown(string broker)
    {
        var port = LoopbackPorts.Free();
        return broker switch
        {
            MessageBrokers.PubSub => new PubSubTestBroker($"127.0.0.1:{port}", port),
            MessageBrokers.RabbitMq => new RabbitMqTestBroker(new Uri($"amqp://guest:guest@127.0.0.1:{port}/"), port),
            _ => throw new ArgumentOutOfRangeException(nameof(broker), broker, null),
        };
    }

    /// <summary>Starts a broker of the test's own on the port of one made by <see cref="CreateDown"/>, playing a broker coming back.</summary>
    public abstract IDisposable StartLate();

    public abstract ValueTask DisposeAsync();

    protected static IDisposable StartProcess(ProcessStartInfo start, Action? afterwards = null)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new StartedProcess(process, afterwards);
    }

    private sealed class StartedProcess(Process process, Action? afterwards) : IDisposable
    {
        public void Dispose()
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            process.Dispose();
            afterwards?.Invoke();
        }
    }
}

/// <summary>A project of its own on the emulator: the emulator takes any project id.</summary>
internal sealed class PubSubTestBroker(string emulatorHost, int? port = null) : TestBroker
{
    private readonly string _projectId = $"test-{Guid.NewGuid():N}"[..24];
    private PubSubClient? _client;

    public override string Name => MessageBrokers.PubSub;

    public override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Messaging:Broker"] = MessageBrokers.PubSub,
        ["PUBSUB_EMULATOR_HOST"] = emulatorHost,
        ["PubSub:ProjectId"] = _projectId,
    };

    public override async Task<DeadLetter> ReceiveDeadLetterAsync(string name, CancellationToken cancellationToken)
    {
        _client ??= PubSubClientFactory.Create(new PubSubOptions(_projectId, emulatorHost));
        while (true)
        {
            var messages = await _client.PullAsync(name, 1, cancellationToken);
            if (messages.Count == 1)
            {
                await _client.AcknowledgeAsync(name, [messages[0].AckId], cancellationToken);
                return new DeadLetter(messages[0].Data, messages[0].Attributes, messages[0].PublishTime);
            }
        }
    }

    public override IDisposable StartLate() => StartProcess(new ProcessStartInfo(TestServers.PubSubEmulatorLauncher,
        [$"--host=127.0.0.1", $"--port={port ?? throw new InvalidOperationException("not a broker made to start late")}"])
    {
        Environment = { ["JAVA_OPTS"] = "-Xmx256m" },
    });

    public override ValueTask DisposeAsync()
    {
        _client?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A virtual host of its own on the test servers' RabbitMQ (made with rabbitmqctl), removed at the end.</summary>
internal sealed class RabbitMqTestBroker(Uri uri, int? port = null, string? virtualHost = null) : TestBroker
{
    public override string Name => MessageBrokers.RabbitMq;

    public override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Messaging:Broker"] = MessageBrokers.RabbitMq,
        ["ConnectionStrings:rabbitmq"] = uri.ToString(),
    };

    public static async Task<TestBroker> CreateVirtualHostAsync()
    {
        var virtualHost = $"test-{Guid.NewGuid():N}"[..24];
        await TestServers.RabbitMqCtlAsync("add_vhost", virtualHost);
        await TestServers.RabbitMqCtlAsync("set_permissions", "-p", virtualHost, "guest", ".*", ".*", ".*");
        var server = new Uri(TestServers.RabbitMq);
        return new RabbitMqTestBroker(new UriBuilder(server) { Path = "/" + virtualHost }.Uri, virtualHost: virtualHost);
    }

    /// <summary>The MassTransit envelope's <c>message</c> is the <see cref="Platform.Messaging.RabbitMq.PlatformMessage"/>; its <c>sentTime</c> the publish time.</summary>
    public override async Task<DeadLetter> ReceiveDeadLetterAsync(string name, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = uri };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        while (true)
        {
            var result = await channel.BasicGetAsync(name, autoAck: true, cancellationToken);
            if (result is null)
            {
                await Task.Delay(100, cancellationToken);
                continue;
            }
            using var envelope = JsonDocument.Parse(result.Body);
            var message = envelope.RootElement.GetProperty("message");
            var attributes = message.GetProperty("attributes").EnumerateObject()
                .ToDictionary(attribute => attribute.Name, attribute => attribute.Value.GetString()!);
            return new DeadLetter(Encoding.UTF8.GetBytes(message.GetProperty("body").GetString()!), attributes,
                envelope.RootElement.GetProperty("sentTime").GetDateTimeOffset());
        }
    }

    /// <summary>Removes a topic's binding to a subscription's queue, as a broker that lost its definitions would have.</summary>
    public async Task UnbindAsync(string queue, string exchange, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = uri };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.QueueUnbindAsync(queue, exchange, "", cancellationToken: cancellationToken);
    }

    public override IDisposable StartLate()
    {
        // Beside the test servers' broker: a folder the broker's system user can reach (a temporary folder is the test's alone).
        var folder = new DirectoryInfo(Path.Combine(Path.GetDirectoryName(TestServers.RabbitMqState)!, $"rabbitmq-late-{Guid.NewGuid():N}"));
        return StartProcess(new ProcessStartInfo(TestServers.RabbitMqScript,
            ["run", folder.FullName, $"{port ?? throw new InvalidOperationException("not a broker made to start late")}"]),
            () => folder.Delete(recursive: true));
    }

    public override async ValueTask DisposeAsync()
    {
        if (virtualHost is not null)
        {
            await TestServers.RabbitMqCtlAsync("delete_vhost", virtualHost);
        }
    }
}
