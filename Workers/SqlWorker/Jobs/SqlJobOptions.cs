using CartoSelfHosted.Platform.Jobs;

namespace CartoSelfHosted.SqlWorker.Jobs;

/// <summary>How sql-worker runs batch jobs (section <c>SqlJobs</c>).</summary>
public sealed class SqlJobOptions : WarehouseJobOptions
{
    /// <summary>The statement timeout of a job's statements; longer than the synchronous API's, as CARTO's batch jobs are.</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromHours(1);
}
