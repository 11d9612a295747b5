using CartoSelfHosted.Platform.Jobs;

namespace CartoSelfHosted.ImportWorker.Imports;

/// <summary>How import-worker runs imports (section <c>ImportJobs</c>; the limits are <c>Imports</c>, shared with import-api).</summary>
public sealed class ImportJobOptions : WarehouseJobOptions
{
    /// <summary>How often a running import writes its progress.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long fetching a URL import's file may take.</summary>
    public TimeSpan DownloadTimeout { get; set; } = TimeSpan.FromHours(1);
}
