using System.IO.Compression;

namespace CartoSelfHosted.Platform.Imports;

/// <summary>
/// Unpacks an uploaded ZIP (or KMZ) into a folder of its own and finds the one dataset in it. A zip bomb is refused
/// before anything is written, by the sizes the archive declares, and again while unpacking, by the bytes actually
/// written (an archive can lie about its sizes). Paths cannot leave the folder.
/// </summary>
public static class ArchiveExtractor
{
    private const int MaxEntries = 10_000;

    // In the order a dataset is looked for: a Shapefile's .shp carries its .dbf, .shx and .prj beside it.
    private static readonly string[] DatasetExtensions = [".shp", ".gpkg", ".kml", ".geojson", ".json", ".geojsonl", ".ndjson", ".csv"];

    /// <summary>Unpacks <paramref name="archivePath"/> into <paramref name="folder"/> and returns the dataset's path.</summary>
    public static string ExtractDataset(string archivePath, string folder, ImportOptions options, CancellationToken cancellationToken)
    {
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(archivePath);
        }
        catch (InvalidDataException ex)
        {
            throw new ImportFormatException($"the ZIP archive cannot be read: {ex.Message}");
        }
        using (archive)
        {
            var entries = archive.Entries.Where(entry => entry.Name.Length > 0 && !IsClutter(entry.FullName)).ToList();
            if (archive.Entries.Count > MaxEntries)
            {
                throw new ImportFormatException($"the archive holds {archive.Entries.Count:N0} files; at most {MaxEntries:N0} are read.");
            }
            var archiveBytes = Math.Max(new FileInfo(archivePath).Length, 1);
            var limit = (long)Math.Min(options.MaxExtractedBytes, archiveBytes * options.MaxCompressionRatio);
            var declared = entries.Sum(entry => entry.Length);
            if (declared > limit)
            {
                throw ZipBomb(declared, archiveBytes, options);
            }

            Directory.CreateDirectory(folder);
            var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
            long written = 0;
            var buffer = new byte[81920];
            foreach (var entry in entries)
            {
                var path = Path.GetFullPath(Path.Combine(root, entry.FullName));
                if (!path.StartsWith(root, StringComparison.Ordinal))
                {
                    throw new ImportFormatException($"the archive's entry '{entry.FullName}' points outside the archive.");
                }
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using var input = entry.Open();
                using var output = File.Create(path);
                int read;
                while ((read = input.Read(buffer)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    written += read;
                    if (written > limit)
                    {
                        throw ZipBomb(written, archiveBytes, options);
                    }
                    output.Write(buffer, 0, read);
                }
            }
            return FindDataset(root, entries.Select(entry => entry.FullName).ToList());
        }
    }

    private static ImportFormatException ZipBomb(long bytes, long archiveBytes, ImportOptions options) => new(
        $"the archive expands to more than {bytes:N0} bytes, {bytes / (double)archiveBytes:N0} times its size; archives may expand " +
        $"at most {options.MaxCompressionRatio:N0} times, to at most {options.MaxExtractedBytes:N0} bytes (a zip bomb, or data to upload unzipped).");

    // Folders macOS adds to archives, and hidden files, are never the dataset.
    private static bool IsClutter(string path) =>
        path.StartsWith("__MACOSX/", StringComparison.Ordinal) || path.Split('/').Any(part => part.StartsWith('.'));

    private static string FindDataset(string root, IReadOnlyList<string> names)
    {
        foreach (var extension in DatasetExtensions)
        {
            var found = names.Where(name => name.EndsWith(extension, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
            if (found.Count == 1)
            {
                return Path.Combine(root, found[0]);
            }
            if (found.Count > 1)
            {
                throw new ImportFormatException(
                    $"the archive holds {found.Count} datasets ({string.Join(", ", found.Take(5))}); import one per file.");
            }
        }
        throw new ImportFormatException(
            "the archive holds no dataset: a Shapefile (.shp with its .dbf, .shx and .prj), a GeoPackage, KML, GeoJSON or CSV was expected.");
    }
}
