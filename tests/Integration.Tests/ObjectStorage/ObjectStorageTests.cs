using Amazon.Runtime;
using Amazon.S3;
using Azure.Storage.Blobs;
using CartoSelfHosted.Platform.ObjectStorage;
using CartoSelfHosted.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartoSelfHosted.Integration.Tests.ObjectStorage;

/// <summary>The contract on the default store, a folder of the test's own.</summary>
public sealed class LocalFolderObjectStorageTests : ObjectStorageContract, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("carto-object-storage-").FullName;

    public LocalFolderObjectStorageTests() => Storage = ObjectStorageConnectionString.Open(_folder, NullLoggerFactory.Instance);

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

/// <summary>A bucket of the test class's own on s3rver, under a key prefix (as an installation sharing a bucket would use).</summary>
public sealed class S3ObjectStorageTests : CloudObjectStorageContract, IAsyncLifetime
{
    private readonly string _bucket = $"carto-tests-{Guid.NewGuid():N}"[..32];

    public S3ObjectStorageTests()
    {
        Storage = ObjectStorageConnectionString.Open(ConnectionString(TestServers.S3Endpoint), NullLoggerFactory.Instance);
        Unreachable = ObjectStorageConnectionString.Open(ConnectionString($"http://127.0.0.1:{LoopbackPorts.Free()}"), NullLoggerFactory.Instance);
    }

    protected override IObjectStorage Storage { get; }

    protected override IObjectStorage Unreachable { get; }

    protected override string Secret => TestServers.S3Key;

    protected override string StoreName => $"S3 bucket '{_bucket}'";

    /// <summary>An S3 store's connection string for s3rver's bucket of this test class at <paramref name="endpoint"/>.</summary>
    private string ConnectionString(string endpoint) =>
        $"s3://{_bucket}/uploads?endpoint={Uri.EscapeDataString(endpoint)}&accessKey={TestServers.S3Key}&secretKey={TestServers.S3Key}";

    public async ValueTask InitializeAsync()
    {
        using var client = new AmazonS3Client(new BasicAWSCredentials(TestServers.S3Key, TestServers.S3Key),
            new AmazonS3Config { ServiceURL = TestServers.S3Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        await client.PutBucketAsync(_bucket, Cancel);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A container of the test class's own on Azurite, under a name prefix.</summary>
public sealed class AzureBlobObjectStorageTests : CloudObjectStorageContract, IAsyncLifetime
{
    private readonly string _container = $"carto-tests-{Guid.NewGuid():N}"[..32];

    public AzureBlobObjectStorageTests()
    {
        Storage = ObjectStorageConnectionString.Open(ConnectionString(TestServers.AzuriteBlob), NullLoggerFactory.Instance);
        var azurite = new Uri(Setting(TestServers.AzuriteBlob, "BlobEndpoint")).Authority;
        var closed = TestServers.AzuriteBlob.Replace(azurite, $"127.0.0.1:{LoopbackPorts.Free()}", StringComparison.Ordinal);
        Unreachable = ObjectStorageConnectionString.Open(ConnectionString(closed), NullLoggerFactory.Instance);
    }

    protected override IObjectStorage Storage { get; }

    protected override IObjectStorage Unreachable { get; }

    protected override string Secret => Setting(TestServers.AzuriteBlob, "AccountKey");

    protected override string StoreName => $"Azure Blob container '{_container}'";

    private string ConnectionString(string account) => $"{account};Container={_container};Prefix=uploads";

    private static string Setting(string account, string name) =>
        account.Split(';').Select(pair => pair.Split('=', 2)).Single(pair => pair[0] == name)[1];

    public async ValueTask InitializeAsync() =>
        await new BlobContainerClient(TestServers.AzuriteBlob, _container).CreateAsync(cancellationToken: Cancel);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
