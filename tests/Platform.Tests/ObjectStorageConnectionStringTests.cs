using CartoSelfHosted.Platform.ObjectStorage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartoSelfHosted.Platform.Tests;

/// <summary>Which store a connection string names, and how it names itself (never with its secrets).</summary>
public sealed class ObjectStorageConnectionStringTests
{
    private static IObjectStorage Open(string connectionString) => ObjectStorageConnectionString.Open(connectionString, NullLoggerFactory.Instance);

    [Fact]
    public void APathOrAFileUrlIsALocalFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"carto-{Guid.NewGuid():N}");
        try
        {
            Assert.Equal(folder, Assert.IsType<LocalFolderObjectStorage>(Open(folder)).Root);
            Assert.Equal(folder, Assert.IsType<LocalFolderObjectStorage>(Open(new Uri(folder).AbsoluteUri)).Root);
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    [Theory]
    [InlineData("s3://uploads?region=eu-west-1", "S3 bucket 'uploads' at AWS eu-west-1")]
    [InlineData("s3://uploads/carto?endpoint=http%3A%2F%2Fadmin%3Apassword%40minio%3A9000&accessKey=id&secretKey=s%2Fcret",
        "S3 bucket 'uploads' at http://minio:9000")]
    public void AnS3UrlIsABucketNamedWithoutItsCredentials(string connectionString, string description)
    {
        Assert.Equal(description, Assert.IsType<S3ObjectStorage>(Open(connectionString)).Description);
    }

    [Fact]
    public void AnUnknownS3ParameterIsRefusedByName()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => Open("s3://uploads?secretkey=x"));

        Assert.Contains("'secretkey'", refused.Message);
    }

    [Fact]
    public void AnAzureConnectionStringWithAContainerIsABlobContainerNamedWithoutItsKey()
    {
        var storage = Open("DefaultEndpointsProtocol=https;AccountName=carto;AccountKey=c2VjcmV0a2V5PT0=;EndpointSuffix=core.windows.net;Container=uploads;Prefix=prod");

        Assert.Equal("Azure Blob container 'uploads' at https://carto.blob.core.windows.net",
            Assert.IsType<AzureBlobObjectStorage>(storage).Description);
    }

    [Fact]
    public void AnAzureConnectionStringWithoutAContainerIsRefused()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => Open("UseDevelopmentStorage=true"));

        Assert.Contains("Container=", refused.Message);
    }
}
