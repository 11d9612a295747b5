using System.Diagnostics;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>One platform for the tests of a class: started cold from an empty data folder, stopped after.</summary>
public class RunningPlatform : IAsyncLifetime
{
    /// <summary>AppHost settings beyond the data folder and ports, as command-line arguments.</summary>
    protected virtual IReadOnlyList<string> Settings => [];

    /// <summary>How many processes run each API and worker.</summary>
    protected virtual int Replicas => 1;

    public PlatformInProcess Platform { get; private set; } = null!;

    public TimeSpan ColdStart { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        Platform = await PlatformInProcess.StartAsync(PlatformUnderTest.NewDataDirectory(), PlatformUnderTest.FreePorts(Replicas),
            TestContext.Current.CancellationToken, [.. Settings, $"--Replicas={Replicas}"]);
        await Platform.WaitHealthyAsync(TimeSpan.FromMinutes(3));
        ColdStart = stopwatch.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        await Platform.DisposeAsync();
        PlatformUnderTest.DeleteDataDirectory(Platform.DataDirectory);
    }
}

/// <summary>The platform with RabbitMQ as its broker: AppHost starts RabbitMQ and no Pub/Sub emulator at all.</summary>
public sealed class RunningPlatformOnRabbitMq : RunningPlatform
{
    protected override IReadOnlyList<string> Settings => ["--Messaging:Broker=rabbitmq"];
}

/// <summary>The platform with two processes of every API and worker, the router and the HTTP cache balancing across them.</summary>
public sealed class RunningPlatformWithReplicas : RunningPlatform
{
    protected override int Replicas => 2;
}
