using System.Buffers;

namespace CartoSelfHosted.Platform.ObjectStorage;

/// <summary>Objects as files under one folder; a key's <c>/</c> separated parts are folders.</summary>
public sealed class LocalFolderObjectStorage(string root) : IObjectStorage
{
    public string Root { get; } = Path.GetFullPath(root);

    public async Task<long> PutAsync(string key, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var path = LocalPath(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Written beside its final name and renamed: a reader never sees half an object.
        var partial = path + ".partial";
        var buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            long length = 0;
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    length += read;
                    if (length > maxBytes)
                    {
                        throw new ObjectTooLargeException(maxBytes);
                    }
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            File.Move(partial, path, overwrite: true);
            return length;
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public Task<LocalObjectFile?> OpenLocalFileAsync(string key, CancellationToken cancellationToken)
    {
        var path = LocalPath(key);
        return Task.FromResult(File.Exists(path) ? LocalObjectFile.InPlace(path) : null);
    }

    /// <summary>Where the object's file is (or would be).</summary>
    public string LocalPath(string key)
    {
        // Keys are the platform's own (job ids and fixed names), but a key must never leave the root.
        var path = Path.GetFullPath(Path.Combine(Root, key));
        return path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? path
            : throw new ArgumentException($"The object key '{key}' is outside the storage.", nameof(key));
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = LocalPath(key);
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        // File.Delete throws, rather than does nothing, when the key's folder is missing too.
        if (File.Exists(path))
        {
            File.Delete(path);
        }
        return Task.CompletedTask;
    }
}
