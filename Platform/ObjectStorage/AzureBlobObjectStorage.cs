using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace CartoSelfHosted.Platform.ObjectStorage;

/// <summary>
/// Objects as block blobs in an Azure Blob Storage container (or Azurite), under an optional name prefix. A small
/// object is one upload; a larger one is staged in <see cref="UploadParts.PartSize"/> blocks sent one at a time, and
/// its block list is committed only once the whole content was read within the limit: until then no blob is visible,
/// and blocks never committed are discarded by the service (after a week). Reading downloads the blob to a temporary
/// file (<see cref="LocalObjectFile"/>).
/// </summary>
public sealed class AzureBlobObjectStorage : IObjectStorage
{
    private readonly BlobContainerClient _container;
    private readonly string _prefix;
    private readonly StoreCalls _calls;

    public AzureBlobObjectStorage(BlobContainerClient container, string prefix)
    {
        (_container, _prefix) = (container, prefix);
        Description = $"Azure Blob container '{_container.Name}' at {_container.Uri.GetLeftPart(UriPartial.Authority)}";
        // The service's error code, not its message: that one runs over lines of request and response headers.
        _calls = new StoreCalls(Description, ex => ex is RequestFailedException,
            ex => ex is RequestFailedException failed ? $"{failed.ErrorCode ?? "status"} ({failed.Status})" : null);
    }

    /// <summary>The container and where it is, for messages: never the account key.</summary>
    public string Description { get; }

    public async Task<long> PutAsync(string key, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlockBlobClient(BlobName(key));
        using var parts = new UploadParts(content, maxBytes);
        await parts.ReadNextAsync(cancellationToken);
        if (parts.IsLast)
        {
            await _calls.RunAsync("writing", key, cancellationToken, () => blob.UploadAsync(parts.CurrentAsStream(), cancellationToken: cancellationToken));
            return parts.Length;
        }

        var blocks = new List<string>();
        do
        {
            // Block ids are base64, all of one length within a blob.
            var block = Convert.ToBase64String(BitConverter.GetBytes(parts.Number));
            await _calls.RunAsync("writing a block of", key, cancellationToken, () => blob.StageBlockAsync(block, parts.CurrentAsStream(), cancellationToken: cancellationToken));
            blocks.Add(block);
        }
        while (!parts.IsLast && await parts.ReadNextAsync(cancellationToken));
        await _calls.RunAsync("committing", key, cancellationToken, () => blob.CommitBlockListAsync(blocks, cancellationToken: cancellationToken));
        return parts.Length;
    }

    public Task<LocalObjectFile?> OpenLocalFileAsync(string key, CancellationToken cancellationToken) =>
        LocalObjectFile.DownloadAsync(Path.GetFileName(key), async path =>
        {
            try
            {
                await _calls.RunAsync("reading", key, cancellationToken, () => _container.GetBlobClient(BlobName(key)).DownloadToAsync(path, cancellationToken));
                return true;
            }
            catch (ObjectStorageException ex) when (ex.InnerException is RequestFailedException { ErrorCode: "BlobNotFound" })
            {
                return false;
            }
        });

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var children = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = BlobName(key) + "/" }, cancellationToken);
        await _calls.RunAsync("listing", key + "/", cancellationToken, async () =>
        {
            await foreach (var child in children)
            {
                await _container.DeleteBlobIfExistsAsync(child.Name, cancellationToken: cancellationToken);
            }
            return true;
        });
        await _calls.RunAsync("deleting", key, cancellationToken, () => _container.DeleteBlobIfExistsAsync(BlobName(key), cancellationToken: cancellationToken));
    }

    private string BlobName(string key) => _prefix + key;
}
