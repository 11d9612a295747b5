using System.Diagnostics;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>One platform for the tests of a class: started cold from an empty data folder, stopped with Ctrl+C after.</summary>
public sealed class RunningPlatform : IAsyncLifetime
{
    public PlatformProcess Platform { get; private set; } = null!;

    public TimeSpan ColdStart { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        Platform = PlatformProcess.Start(PlatformProcess.NewDataDirectory());
        await Platform.WaitHealthyAsync(TimeSpan.FromMinutes(3));
        ColdStart = stopwatch.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        await Platform.DisposeAsync();
        PlatformProcess.DeleteDataDirectory(Platform.DataDirectory);
    }
}
