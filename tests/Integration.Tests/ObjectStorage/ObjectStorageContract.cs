using CartoSelfHosted.Platform.ObjectStorage;

namespace CartoSelfHosted.Integration.Tests.ObjectStorage;

/// <summary>
/// What every object store promises the import path, run against each store on a real server (a local folder, s3rver
/// for S3, Azurite for Azure Blob): a derived class per store gives <see cref="Storage"/>.
/// </summary>
public abstract class ObjectStorageContract
{
    /// <summary>Past one part (<c>UploadParts.PartSize</c>, 8 MiB): a multipart upload, or staged blocks.</summary>
    private const long MultipartSize = 8 * 1024 * 1024;

    protected abstract IObjectStorage Storage { get; }

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    protected static string NewKey() => $"contract/{Guid.NewGuid():N}/file";

    public static TheoryData<long> Sizes => new()
    {
        0,
        1000,
        // Exactly one part, then exactly two: the content ends on a part's boundary.
        MultipartSize,
        2 * MultipartSize,
        2 * MultipartSize + 12345,
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task AnObjectPutIsReadBackAsTheSameBytesInALocalFile(long size)
    {
        var key = NewKey();

        Assert.Equal(size, await Storage.PutAsync(key, new PatternStream(size), maxBytes: size, Cancel));

        using var file = await Storage.OpenLocalFileAsync(key, Cancel);
        Assert.NotNull(file);
        Assert.Equal(PatternStream.Expected(size), await File.ReadAllBytesAsync(file.Path, Cancel));
        Assert.False(Directory.Exists(file.ScratchFolder));
        await Storage.DeleteAsync(key, Cancel);
    }

    [Fact]
    public async Task APutReplacesAnObjectOfTheSameKey()
    {
        var key = NewKey();
        await Storage.PutAsync(key, new MemoryStream([1, 2, 3]), 100, Cancel);

        await Storage.PutAsync(key, new MemoryStream([4, 5]), 100, Cancel);

        using var file = await Storage.OpenLocalFileAsync(key, Cancel);
        Assert.Equal([4, 5], await File.ReadAllBytesAsync(file!.Path, Cancel));
    }

    [Fact]
    public async Task DisposingTheLocalFileRemovesItsScratchFolderAndAnyDownloadedCopy()
    {
        var key = NewKey();
        await Storage.PutAsync(key, new MemoryStream([1, 2, 3]), 100, Cancel);
        var file = await Storage.OpenLocalFileAsync(key, Cancel);
        Directory.CreateDirectory(Path.Combine(file!.ScratchFolder, "unzipped"));

        file.Dispose();

        Assert.False(Directory.Exists(file.ScratchFolder));
        // A local folder's file is the object itself; a cloud store's was a copy for the reader.
        Assert.Equal(Storage is LocalFolderObjectStorage, File.Exists(file.Path));
        await Storage.DeleteAsync(key, Cancel);
    }

    public static TheoryData<long, long> TooLarge => new()
    {
        // Found within the first part, and only once parts were sent.
        { 1001, 1000 },
        { 2 * MultipartSize + 1, 2 * MultipartSize },
    };

    [Theory]
    [MemberData(nameof(TooLarge))]
    public async Task AnObjectOverTheLimitThrowsAndLeavesNothing(long size, long maxBytes)
    {
        var key = NewKey();

        var tooLarge = await Assert.ThrowsAsync<ObjectTooLargeException>(() => Storage.PutAsync(key, new PatternStream(size), maxBytes, Cancel));

        Assert.Equal(maxBytes, tooLarge.MaxBytes);
        Assert.Null(await Storage.OpenLocalFileAsync(key, Cancel));
    }

    [Fact]
    public async Task AStreamThatFailsHalfwayThrowsItsOwnExceptionAndLeavesNothing()
    {
        var key = NewKey();
        var halfway = new PatternStream(3 * MultipartSize, breakAfter: MultipartSize + 100,
            breaks: () => throw new IOException("The client went away."));

        var failed = await Assert.ThrowsAsync<IOException>(() => Storage.PutAsync(key, halfway, long.MaxValue, Cancel));

        Assert.Equal("The client went away.", failed.Message);
        Assert.Null(await Storage.OpenLocalFileAsync(key, Cancel));
    }

    [Fact]
    public async Task AnUploadCancelledHalfwayLeavesNothing()
    {
        var key = NewKey();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var halfway = new PatternStream(3 * MultipartSize, breakAfter: MultipartSize + 100, breaks: cancel.Cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Storage.PutAsync(key, halfway, long.MaxValue, cancel.Token));

        Assert.Null(await Storage.OpenLocalFileAsync(key, Cancel));
    }

    [Fact]
    public async Task DeletingAKeyRemovesItAndWhatIsUnderItButNotItsNeighbours()
    {
        var folder = $"contract/{Guid.NewGuid():N}";
        string[] removed = [folder, $"{folder}/file", $"{folder}/work/part"];
        string[] kept = [$"{folder}-other", $"{folder}x/file"];
        foreach (var key in removed.Skip(1).Concat(kept))
        {
            await Storage.PutAsync(key, new MemoryStream([7]), 10, Cancel);
        }

        await Storage.DeleteAsync(folder, Cancel);

        foreach (var key in removed)
        {
            Assert.Null(await Storage.OpenLocalFileAsync(key, Cancel));
        }
        foreach (var key in kept)
        {
            using var file = await Storage.OpenLocalFileAsync(key, Cancel);
            Assert.NotNull(file);
            await Storage.DeleteAsync(key, Cancel);
        }
    }

    [Fact]
    public async Task AMissingObjectReadsAsNullAndDeletesAsNothing()
    {
        var key = NewKey();

        Assert.Null(await Storage.OpenLocalFileAsync(key, Cancel));
        await Storage.DeleteAsync(key, Cancel);
    }
}

/// <summary>
/// What a cloud store adds to the contract: when it is down (here, an address nothing listens on) every call fails with an
/// <see cref="ObjectStorageException"/> that names the store and says why, and never shows its credentials.
/// </summary>
public abstract class CloudObjectStorageContract : ObjectStorageContract, IAsyncLifetime
{
    private string _container = null!;
    private IObjectStorage _storage = null!;
    private IObjectStorage _unreachable = null!;

    protected override IObjectStorage Storage => _storage;

    /// <summary>What must never be in a message: the store's secret key.</summary>
    protected abstract string Secret { get; }

    /// <summary>How messages name the store.</summary>
    protected abstract string StoreName(string container);

    /// <summary>A new bucket or container, for this test's own.</summary>
    protected abstract Task<string> NewContainerAsync();

    /// <summary>The store's connection string for <paramref name="container"/>; when <paramref name="down"/>, at an address nothing answers.</summary>
    protected abstract string ConnectionString(string container, bool down);

    public async ValueTask InitializeAsync()
    {
        _container = await NewContainerAsync();
        _storage = TestStores.Open(ConnectionString(_container, down: false));
        _unreachable = TestStores.Open(ConnectionString(_container, down: true));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task AStoreThatIsDownFailsEachCallWithItsNameAndTheReasonAndNoSecret()
    {
        var key = NewKey();
        List<ObjectStorageException> failures =
        [
            await Assert.ThrowsAsync<ObjectStorageException>(() => _unreachable.PutAsync(key, new PatternStream(1000), 10_000, Cancel)),
            await Assert.ThrowsAsync<ObjectStorageException>(() => _unreachable.PutAsync(key, new PatternStream(20_000_000), 30_000_000, Cancel)),
            await Assert.ThrowsAsync<ObjectStorageException>(() => _unreachable.OpenLocalFileAsync(key, Cancel)),
            await Assert.ThrowsAsync<ObjectStorageException>(() => _unreachable.DeleteAsync(key, Cancel)),
        ];

        foreach (var failure in failures)
        {
            Assert.Contains(StoreName(_container), failure.Message, StringComparison.Ordinal);
            Assert.Contains(key, failure.Message, StringComparison.Ordinal);
            Assert.Contains("Connection refused", failure.Message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Secret, failure.Message, StringComparison.Ordinal);
        }
    }
}
