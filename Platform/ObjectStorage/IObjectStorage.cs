namespace CartoSelfHosted.Platform.ObjectStorage;

/// <summary>
/// Where uploaded files wait for their worker: named objects written once, read back as local files, deleted when done.
/// The platform's default is a local folder (<see cref="LocalFolderObjectStorage"/>); an S3-compatible bucket
/// (<see cref="S3ObjectStorage"/>) or an Azure Blob container (<see cref="AzureBlobObjectStorage"/>) take its place
/// when the services run on more than one machine.
/// </summary>
public interface IObjectStorage
{
    /// <summary>
    /// Writes <paramref name="content"/> under <paramref name="key"/>, streaming, and returns its length. Past
    /// <paramref name="maxBytes"/> it stops, keeps nothing and throws <see cref="ObjectTooLargeException"/>.
    /// An object appears whole or not at all: a failed or cancelled write leaves no object.
    /// </summary>
    Task<long> PutAsync(string key, Stream content, long maxBytes, CancellationToken cancellationToken);

    /// <summary>
    /// The object as a local file, for readers that read files by name (GDAL, SQLite), or null when there is no such
    /// object. Disposing it removes what the copy took on the local disk.
    /// </summary>
    Task<LocalObjectFile?> OpenLocalFileAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes the object and everything under <c>key/</c>; nothing happens when there is none.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

public sealed class ObjectTooLargeException(long maxBytes)
    : Exception($"The file is larger than the limit of {maxBytes:N0} bytes.")
{
    public long MaxBytes { get; } = maxBytes;
}

/// <summary>
/// The store could not do what was asked: it is down, unreachable, or refused (a missing bucket, a wrong key). The
/// message names the store (never its credentials) and the reason, readable as a job's or an answer's reason.
/// </summary>
public sealed class ObjectStorageException(string message, Exception innerException) : Exception(message, innerException);
