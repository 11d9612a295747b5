namespace CartoSelfHosted.Platform.Jobs;

/// <summary>What maps-api records for a batch SQL job and sql-worker reads back: the contract between the two.</summary>
public static class SqlJobs
{
    public const string Kind = "sql";

    /// <summary>The job's SQL, up to this many characters.</summary>
    public const int MaxQueryLength = 256 * 1024;
}

/// <summary>The job's request (<c>jobs.request</c>): one or more statements, run in one transaction.</summary>
public sealed record SqlJobRequest(string Query);

/// <summary>The job's outcome (<c>jobs.result</c>): rows its statements affected and the tables it created, changed or dropped.</summary>
public sealed record SqlJobResult(long RowsAffected, IReadOnlyList<ChangedTable> ChangedTables);

public sealed record ChangedTable(string Schema, string Table, string Change);

/// <summary>PostgreSQL's account of a failure (<c>jobs.error_details</c>), beside its message in <c>jobs.error</c>.</summary>
public sealed record SqlJobErrorDetails(string? SqlState, int? Position, string? Hint);
