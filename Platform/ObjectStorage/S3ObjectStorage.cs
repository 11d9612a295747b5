using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace CartoSelfHosted.Platform.ObjectStorage;

/// <summary>
/// Objects in an S3-compatible bucket (AWS S3, MinIO, s3rver…), under an optional key prefix. A small object is one
/// PUT; a larger one a multipart upload of <see cref="UploadParts.PartSize"/> parts sent one at a time, completed only
/// once the whole content was read within the limit, and aborted otherwise: no object appears until it is whole.
/// Reading downloads the object to a temporary file (<see cref="LocalObjectFile"/>).
/// </summary>
public sealed class S3ObjectStorage(IAmazonS3 client, string bucket, string prefix, string description, ILogger<S3ObjectStorage> logger)
    : IObjectStorage
{
    private readonly StoreCalls _calls = new(description, ex => ex is AmazonServiceException or AmazonClientException,
        ex => ex is AmazonServiceException { ErrorCode.Length: > 0 } service ? $"{service.ErrorCode} ({(int)service.StatusCode}) {service.Message}" : null);

    /// <summary>The bucket and where it is, for messages: never the credentials.</summary>
    public string Description { get; } = description;

    public async Task<long> PutAsync(string key, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var objectKey = ObjectKey(key);
        using var parts = new UploadParts(content, maxBytes);
        await parts.ReadNextAsync(cancellationToken);
        if (parts.IsLast)
        {
            await _calls.RunAsync("writing", key, cancellationToken, () => client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket,
                Key = objectKey,
                InputStream = parts.CurrentAsStream(),
                // The payload is signed whole (its SHA-256 over the part in memory), not in aws-chunked encoding,
                // which S3-compatible servers such as s3rver do not decode.
                UseChunkEncoding = false,
            }, cancellationToken));
            return parts.Length;
        }

        var upload = await _calls.RunAsync("starting the upload of", key, cancellationToken, () => client.InitiateMultipartUploadAsync(
            new InitiateMultipartUploadRequest { BucketName = bucket, Key = objectKey }, cancellationToken));
        try
        {
            var uploaded = new List<PartETag>();
            do
            {
                var part = await _calls.RunAsync("writing a part of", key, cancellationToken, () => client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = bucket,
                    Key = objectKey,
                    UploadId = upload.UploadId,
                    PartNumber = parts.Number,
                    InputStream = parts.CurrentAsStream(),
                    UseChunkEncoding = false,
                }, cancellationToken));
                uploaded.Add(new PartETag(parts.Number, part.ETag));
            }
            while (!parts.IsLast && await parts.ReadNextAsync(cancellationToken));
            await _calls.RunAsync("completing", key, cancellationToken, () => client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = bucket,
                Key = objectKey,
                UploadId = upload.UploadId,
                PartETags = uploaded,
            }, cancellationToken));
            return parts.Length;
        }
        catch
        {
            await AbortAsync(key, objectKey, upload.UploadId);
            throw;
        }
    }

    public Task<LocalObjectFile?> OpenLocalFileAsync(string key, CancellationToken cancellationToken) =>
        LocalObjectFile.DownloadAsync(Path.GetFileName(key), async path =>
        {
            try
            {
                return await _calls.RunAsync("reading", key, cancellationToken, async () =>
                {
                    using var response = await client.GetObjectAsync(bucket, ObjectKey(key), cancellationToken);
                    await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
                    await response.ResponseStream.CopyToAsync(file, cancellationToken);
                    return true;
                });
            }
            catch (ObjectStorageException ex) when (ex.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound, ErrorCode: "NoSuchKey" })
            {
                return false;
            }
        });

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var objectKey = ObjectKey(key);
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = objectKey + "/" };
        ListObjectsV2Response listed;
        do
        {
            listed = await _calls.RunAsync("listing", key + "/", cancellationToken, () => client.ListObjectsV2Async(request, cancellationToken));
            foreach (var child in listed.S3Objects ?? [])
            {
                await _calls.RunAsync("deleting", child.Key, cancellationToken, () => client.DeleteObjectAsync(bucket, child.Key, cancellationToken));
            }
            request.ContinuationToken = listed.NextContinuationToken;
        }
        while (listed.IsTruncated == true);
        // S3 answers 204 whether or not there was such an object.
        await _calls.RunAsync("deleting", key, cancellationToken, () => client.DeleteObjectAsync(bucket, objectKey, cancellationToken));
    }

    private string ObjectKey(string key) => prefix + key;

    /// <summary>
    /// Nothing of an aborted upload is visible; its parts are freed by the abort, or, when the store cannot be told
    /// (it is down; s3rver does not implement the call), by the bucket's rule for incomplete uploads.
    /// </summary>
    private async Task AbortAsync(string key, string objectKey, string uploadId)
    {
        try
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = objectKey, UploadId = uploadId });
        }
        catch (Exception ex) when (_calls.IsStoreFailure(ex, CancellationToken.None))
        {
            logger.LogWarning("{Store}: the unfinished upload of {Key} could not be aborted ({Reason}); its parts stay until the bucket's lifecycle rule removes them",
                Description, key, _calls.Reason(ex));
        }
    }
}
