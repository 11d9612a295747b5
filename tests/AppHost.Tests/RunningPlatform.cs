using System.Diagnostics;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>One platform for the tests of a class: started cold from an empty data folder, stopped after.</summary>
public sealed class RunningPlatform : IAsyncLifetime
{
    public PlatformInProcess Platform { get; private set; } = null!;

    public TimeSpan ColdStart { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        Platform = await PlatformInProcess.StartAsync(PlatformUnderTest.NewDataDirectory(), PlatformUnderTest.FreePorts(),
            TestContext.Current.CancellationToken);
        await Platform.WaitHealthyAsync(TimeSpan.FromMinutes(3));
        ColdStart = stopwatch.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        await Platform.DisposeAsync();
        PlatformUnderTest.DeleteDataDirectory(Platform.DataDirectory);
    }
}
