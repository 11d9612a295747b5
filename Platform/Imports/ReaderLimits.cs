namespace CartoSelfHosted.Platform.Imports;

/// <summary>What a reader holds in memory at most: past it the file is refused, never read into memory whole.</summary>
public sealed record ReaderLimits
{
    /// <summary>One CSV record (a line, or more when a quoted field spans lines).</summary>
    public int MaxCsvRecordBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>One GeoJSON feature.</summary>
    public int MaxFeatureBytes { get; init; } = 256 * 1024 * 1024;

    /// <summary>Distinct fields (columns).</summary>
    public int MaxFields { get; init; } = 1500;
}
