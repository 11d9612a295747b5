namespace CartoSelfHosted.Platform.ObjectStorage;

/// <summary>
/// An object as a file on the local disk, with a scratch folder of its own for what a reader unpacks or converts beside
/// it (a zipped Shapefile's files, GDAL's output). Disposing it removes the scratch folder, and the file too when it
/// was downloaded for the reader (a cloud store's); a local folder's own object stays until it is deleted.
/// </summary>
public sealed class LocalObjectFile : IDisposable
{
    private readonly string? _downloadFolder;

    private LocalObjectFile(string path, string scratchFolder, string? downloadFolder)
    {
        Path = path;
        ScratchFolder = scratchFolder;
        _downloadFolder = downloadFolder;
    }

    public string Path { get; }

    /// <summary>A folder for the reader's own files, not made yet (the reader makes it when it needs it); it is gone once this is disposed.</summary>
    public string ScratchFolder { get; }

    /// <summary>The object's own file, with a scratch folder beside it (emptied of what an interrupted reader left).</summary>
    internal static LocalObjectFile InPlace(string path)
    {
        var scratch = path + ".scratch";
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }
        return new LocalObjectFile(path, scratch, null);
    }

    /// <summary>
    /// A new temporary folder (under the system's temp folder, <c>TMPDIR</c>) for a downloaded copy named
    /// <paramref name="fileName"/>, and the scratch folder beside it; <paramref name="download"/> writes the copy and
    /// answers whether the object existed.
    /// </summary>
    internal static async Task<LocalObjectFile?> DownloadAsync(string fileName, Func<string, Task<bool>> download)
    {
        var folder = Directory.CreateTempSubdirectory("carto-object-").FullName;
        var file = new LocalObjectFile(System.IO.Path.Combine(folder, fileName), System.IO.Path.Combine(folder, "scratch"), folder);
        try
        {
            if (await download(file.Path))
            {
                return file;
            }
        }
        catch
        {
            file.Dispose();
            throw;
        }
        file.Dispose();
        return null;
    }

    public void Dispose()
    {
        var folder = _downloadFolder ?? ScratchFolder;
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
