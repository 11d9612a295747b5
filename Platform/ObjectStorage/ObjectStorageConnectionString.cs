using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace CartoSelfHosted.Platform.ObjectStorage;

/// <summary>
/// The store <c>ConnectionStrings:object-storage</c> names, by its form:
/// <list type="bullet">
/// <item>a local folder: a path, or a <c>file://</c> URL;</item>
/// <item>an S3-compatible bucket: <c>s3://bucket[/prefix]?endpoint=…&amp;region=…&amp;accessKey=…&amp;secretKey=…&amp;forcePathStyle=…</c>,
/// every parameter optional (AWS S3 itself takes a <c>region</c> and, without keys, the SDK's usual credentials);</item>
/// <item>an Azure Blob container: an Azure Storage connection string with two more keys, <c>Container=…</c> (required)
/// and <c>Prefix=…</c>.</item>
/// </list>
/// </summary>
public static class ObjectStorageConnectionString
{
    private static readonly string[] S3Parameters = ["endpoint", "region", "accessKey", "secretKey", "forcePathStyle"];

    public static IObjectStorage Open(string connectionString, ILoggerFactory loggerFactory)
    {
        if (connectionString.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            return OpenS3(new Uri(connectionString), loggerFactory.CreateLogger<S3ObjectStorage>());
        }
        if (AzureSettings(connectionString) is { } azure)
        {
            return OpenAzure(azure);
        }
        var root = Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) && uri.IsFile ? uri.LocalPath : connectionString;
        Directory.CreateDirectory(root);
        return new LocalFolderObjectStorage(root);
    }

    private static S3ObjectStorage OpenS3(Uri location, ILogger<S3ObjectStorage> logger)
    {
        var query = QueryHelpers.ParseQuery(location.Query);
        if (query.Keys.FirstOrDefault(name => !S3Parameters.Contains(name, StringComparer.Ordinal)) is { } unknown)
        {
            throw new InvalidOperationException($"The S3 object storage takes the parameters {string.Join(", ", S3Parameters)}, not '{unknown}'.");
        }
        string? Parameter(string name) => query.TryGetValue(name, out var value) ? value.ToString() : null;
        var (endpoint, region) = (Parameter("endpoint"), Parameter("region"));
        var config = new AmazonS3Config
        {
            // Checksums only where S3 requires them: S3-compatible servers do not all take the trailing checksums SDK 4 adds by default.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region ?? "us-east-1";
            // Servers other than AWS rarely have a DNS name per bucket.
            config.ForcePathStyle = Parameter("forcePathStyle") is not { } pathStyle || bool.Parse(pathStyle);
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region ?? "us-east-1");
            config.ForcePathStyle = Parameter("forcePathStyle") is { } pathStyle && bool.Parse(pathStyle);
        }
        var client = (Parameter("accessKey"), Parameter("secretKey")) is ({ } accessKey, { } secretKey)
            ? new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), config)
            : new AmazonS3Client(config);
        var bucket = location.Host;
        var prefix = location.AbsolutePath.Trim('/') is { Length: > 0 } path ? path + "/" : "";
        // Named by scheme, host and port only: an endpoint could carry a user and password.
        var where = endpoint is null ? $"AWS {config.RegionEndpoint.SystemName}" : new Uri(endpoint).GetComponents(UriComponents.SchemeAndServer, UriFormat.Unescaped);
        return new S3ObjectStorage(client, bucket, prefix, $"S3 bucket '{bucket}' at {where}", logger);
    }

    private static AzureBlobObjectStorage OpenAzure(Dictionary<string, string> settings)
    {
        if (!settings.Remove("Container", out var container))
        {
            throw new InvalidOperationException("The Azure Blob object storage's connection string names its container: Container=<name>.");
        }
        var prefix = settings.Remove("Prefix", out var path) && path.Trim('/') is { Length: > 0 } trimmed ? trimmed + "/" : "";
        var connectionString = string.Join(';', settings.Select(setting => $"{setting.Key}={setting.Value}"));
        var options = new BlobClientOptions
        {
            // A store that is down is told within seconds (an upload waits on it), while a moment's throttling is ridden out.
            Retry = { MaxRetries = 3, Delay = TimeSpan.FromMilliseconds(500), MaxDelay = TimeSpan.FromSeconds(4) },
        };
        return new AzureBlobObjectStorage(new BlobContainerClient(connectionString, container, options), prefix);
    }

    /// <summary>
    /// An Azure Storage connection string's settings (<c>Name=value;…</c>, a value may hold <c>=</c>, as an account key
    /// does), or null when the string is not one.
    /// </summary>
    private static Dictionary<string, string>? AzureSettings(string connectionString)
    {
        var settings = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.OrdinalIgnoreCase);
        return settings.ContainsKey("AccountName") || settings.ContainsKey("BlobEndpoint") || settings.ContainsKey("UseDevelopmentStorage")
            ? settings
            : null;
    }
}
