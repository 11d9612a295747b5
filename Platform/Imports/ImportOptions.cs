namespace CartoSelfHosted.Platform.Imports;

/// <summary>The limits and switches of imports (section <c>Imports</c>), the same for import-api and import-worker.</summary>
public sealed class ImportOptions
{
    public const string SectionName = "Imports";

    /// <summary>The largest file an import takes (CARTO's limit: 5 GB).</summary>
    public long MaxFileBytes { get; set; } = 5L * 1024 * 1024 * 1024;

    /// <summary>Imports an organization may have waiting or running at once (CARTO's limit: 5); the next is refused with 429.</summary>
    public int MaxActiveJobsPerOrganization { get; set; } = 5;

    /// <summary>What the files of an archive may add up to, uncompressed: the guard against zip bombs, with <see cref="MaxCompressionRatio"/>.</summary>
    public long MaxExtractedBytes { get; set; } = 20L * 1024 * 1024 * 1024;

    /// <summary>How many times its own size an archive may expand to; real data compresses far less than a bomb.</summary>
    public double MaxCompressionRatio { get; set; } = 100;

    /// <summary>
    /// Whether URL imports may fetch from loopback, private and link-local addresses. Off by default: a URL import
    /// must not become a way to read the platform's own network (server-side request forgery).
    /// </summary>
    public bool AllowPrivateUrls { get; set; }

    /// <summary>What a reader keeps in memory at most.</summary>
    public ReaderLimits Readers { get; set; } = new();
}
