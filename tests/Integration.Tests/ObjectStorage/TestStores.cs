using Amazon.Runtime;
using Amazon.S3;
using Azure.Storage.Blobs;
using CartoSelfHosted.Platform.ObjectStorage;
using CartoSelfHosted.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartoSelfHosted.Integration.Tests.ObjectStorage;

/// <summary>
/// Object-storage connection strings on the test servers: a new bucket on s3rver or container on Azurite for a test
/// class of its own, each under a key prefix (as an installation sharing one would use), and the same store at an
/// address nothing listens on (a store that is down).
/// </summary>
public static class TestStores
{
    public static IObjectStorage Open(string connectionString) => ObjectStorageConnectionString.Open(connectionString, NullLoggerFactory.Instance);

    public static async Task<string> NewS3BucketAsync(CancellationToken cancellationToken)
    {
        var bucket = NewName();
        using var client = new AmazonS3Client(new BasicAWSCredentials(TestServers.S3Key, TestServers.S3Key),
            new AmazonS3Config { ServiceURL = TestServers.S3Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        await client.PutBucketAsync(bucket, cancellationToken);
        return bucket;
    }

    public static string S3(string bucket, bool down = false) =>
        $"s3://{bucket}/uploads?endpoint={Uri.EscapeDataString(down ? ClosedAddress() : TestServers.S3Endpoint)}" +
        $"&accessKey={TestServers.S3Key}&secretKey={TestServers.S3Key}";

    public static async Task<string> NewAzureContainerAsync(CancellationToken cancellationToken)
    {
        var container = NewName();
        await new BlobContainerClient(TestServers.AzuriteBlob, container).CreateAsync(cancellationToken: cancellationToken);
        return container;
    }

    public static string Azure(string container, bool down = false)
    {
        var account = TestServers.AzuriteBlob;
        if (down)
        {
            var azurite = new Uri(AzuriteSetting("BlobEndpoint")).GetLeftPart(UriPartial.Authority);
            account = account.Replace(azurite, ClosedAddress(), StringComparison.Ordinal);
        }
        return $"{account};Container={container};Prefix=uploads";
    }

    /// <summary>A setting of Azurite's connection string (<c>AccountKey</c>, <c>BlobEndpoint</c>).</summary>
    public static string AzuriteSetting(string name) =>
        TestServers.AzuriteBlob.Split(';').Select(pair => pair.Split('=', 2)).Single(pair => pair[0] == name)[1];

    private static string ClosedAddress() => $"http://127.0.0.1:{LoopbackPorts.Free()}";

    private static string NewName() => $"carto-tests-{Guid.NewGuid():N}"[..32];
}
