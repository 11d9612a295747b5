namespace CartoSelfHosted.Platform.Jobs;

/// <summary>What import-api records for an import job and import-worker reads back: the contract between the two.</summary>
public static class ImportJobs
{
    public const string Kind = "import";

    /// <summary>The object-storage key of a job's uploaded (or downloaded) file.</summary>
    public static string StorageKey(Guid jobId) => $"imports/{jobId:N}/file";

    /// <summary>The object-storage folder of everything a job keeps (its file, what is extracted from it).</summary>
    public static string StorageFolder(Guid jobId) => $"imports/{jobId:N}";
}

/// <summary>
/// The job's request (<c>jobs.request</c>). The file is either uploaded (<see cref="FileName"/>, kept in object storage
/// under <see cref="ImportJobs.StorageKey"/>) or fetched by the worker from <see cref="Url"/>. <see cref="ColumnTypes"/>
/// names a column type per source field (<c>integer</c>, <c>bigint</c>, <c>double</c>, <c>boolean</c>, <c>date</c>,
/// <c>timestamp</c>, <c>text</c>) and overrides what autoguessing would choose; without autoguessing every other
/// field is text.
/// </summary>
public sealed record ImportJobRequest(
    string? FileName,
    long? FileSize,
    string? Url,
    string Schema,
    string Table,
    bool Overwrite,
    bool Autoguessing,
    IReadOnlyDictionary<string, string>? ColumnTypes);

/// <summary>The job's progress (<c>jobs.progress</c>), written at most once a second.</summary>
public sealed record ImportProgress(long BytesRead, long? BytesTotal, long RowsWritten);

/// <summary>The job's outcome (<c>jobs.result</c>).</summary>
public sealed record ImportJobResult(
    string Schema,
    string Table,
    string Format,
    long Rows,
    IReadOnlyList<ImportedColumn> Columns,
    string? GeometryType,
    double[]? Bounds,
    long InvalidGeometries,
    IReadOnlyList<string> Warnings);

public sealed record ImportedColumn(string Name, string Type, string? SourceName);
