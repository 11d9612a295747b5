using System.Buffers;

namespace CartoSelfHosted.Platform.ObjectStorage;

/// <summary>
/// An upload read one part at a time into one reused buffer, so that a cloud store sends a file of any size in bounded
/// memory (an S3 multipart upload's parts, an Azure block blob's blocks); the size limit is checked as each part is read.
/// </summary>
internal sealed class UploadParts(Stream content, long maxBytes) : IDisposable
{
    /// <summary>
    /// 8 MiB: S3 takes parts of 5 MiB or more (but the last) and at most 10,000 of them, so up to 78 GiB — past
    /// import's limit of 5 GB; Azure takes 50,000 blocks. One part is what an upload holds in memory.
    /// </summary>
    public const int PartSize = 8 * 1024 * 1024;

    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(PartSize);

    /// <summary>The part just read.</summary>
    public ReadOnlyMemory<byte> Current { get; private set; }

    /// <summary>The part's number, from 1.</summary>
    public int Number { get; private set; }

    /// <summary>Whether the content ended within the part just read (the part may then be shorter, or even empty).</summary>
    public bool IsLast { get; private set; }

    /// <summary>The bytes read so far.</summary>
    public long Length { get; private set; }

    /// <summary>Reads the next part; false when there is none (the content ended exactly with the last one).</summary>
    public async Task<bool> ReadNextAsync(CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < PartSize && (read = await content.ReadAsync(_buffer.AsMemory(filled, PartSize - filled), cancellationToken)) > 0)
        {
            filled += read;
            if (Length + filled > maxBytes)
            {
                throw new ObjectTooLargeException(maxBytes);
            }
        }
        Length += filled;
        IsLast = filled < PartSize;
        Current = _buffer.AsMemory(0, filled);
        if (filled == 0 && Number > 0)
        {
            return false;
        }
        Number++;
        return true;
    }

    /// <summary>The part just read, as a stream for an SDK's request.</summary>
    public Stream CurrentAsStream() => new MemoryStream(_buffer, 0, Current.Length, writable: false);

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
}
