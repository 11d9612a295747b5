using CartoSelfHosted.Platform.ObjectStorage;

namespace CartoSelfHosted.Integration.Tests.ObjectStorage;

/// <summary>The contract on the default store, a folder of the test's own.</summary>
public sealed class LocalFolderObjectStorageTests : ObjectStorageContract, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("carto-object-storage-").FullName;

    public LocalFolderObjectStorageTests() => Storage = TestStores.Open(_folder);

    protected override IObjectStorage Storage { get; }

    [Fact]
    public async Task AFailedPutLeavesNoPartialFileInTheFolder()
    {
        var key = NewKey();

        await Assert.ThrowsAsync<ObjectTooLargeException>(() => Storage.PutAsync(key, new PatternStream(5000), 4000, Cancel));

        Assert.Empty(Directory.EnumerateFiles(_folder, "*", SearchOption.AllDirectories));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

/// <summary>The contract on s3rver.</summary>
public sealed class S3ObjectStorageTests : CloudObjectStorageContract
{
    protected override string Secret => TestServers.S3Key;

    protected override string StoreName(string bucket) => $"S3 bucket '{bucket}'";

    protected override Task<string> NewContainerAsync() => TestStores.NewS3BucketAsync(Cancel);

    protected override string ConnectionString(string bucket, bool down) => TestStores.S3(bucket, down);
}

/// <summary>The contract on Azurite.</summary>
public sealed class AzureBlobObjectStorageTests : CloudObjectStorageContract
{
    protected override string Secret => TestStores.AzuriteSetting("AccountKey");

    protected override string StoreName(string container) => $"Azure Blob container '{container}'";

    protected override Task<string> NewContainerAsync() => TestStores.NewAzureContainerAsync(Cancel);

    protected override string ConnectionString(string container, bool down) => TestStores.Azure(container, down);
}
