namespace CartoSelfHosted.Platform.ObjectStorage;

/// <summary>
/// Where uploaded files wait for their worker: named objects written once, read from a local path, deleted when done.
/// The platform's default is a local folder (<see cref="LocalFolderObjectStorage"/>); a cloud bucket fits the same shape.
/// </summary>
public interface IObjectStorage
{
    /// <summary>
    /// Writes <paramref name="content"/> under <paramref name="key"/>, streaming, and returns its length. Past
    /// <paramref name="maxBytes"/> it stops, keeps nothing and throws <see cref="ObjectTooLargeException"/>.
    /// An object appears whole or not at all.
    /// </summary>
    Task<long> PutAsync(string key, Stream content, long maxBytes, CancellationToken cancellationToken);

    /// <summary>A local path to the object, for tools that read files by name (GDAL).</summary>
    string LocalPath(string key);

    /// <summary>Removes the object and everything under <c>key/</c>; nothing happens when there is none.</summary>
    void Delete(string key);
}

public sealed class ObjectTooLargeException(long maxBytes)
    : Exception($"The file is larger than the limit of {maxBytes:N0} bytes.")
{
    public long MaxBytes { get; } = maxBytes;
}
