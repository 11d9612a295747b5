namespace CartoSelfHosted.SqlWorker.Jobs;

/// <summary>How sql-worker runs batch jobs (section <c>SqlJobs</c>).</summary>
public sealed class SqlJobOptions
{
    /// <summary>The statement timeout of a job's statements; longer than the synchronous API's, as CARTO's batch jobs are.</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Runs a job gets when its worker keeps stopping mid-run; then it fails with that reason.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How often a running job looks for a cancel request.</summary>
    public TimeSpan CancelCheckInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
