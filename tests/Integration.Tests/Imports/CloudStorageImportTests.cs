using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.ObjectStorage;
using CartoSelfHosted.Integration.Tests.Sql;
using CartoSelfHosted.Platform.Jobs;

namespace CartoSelfHosted.Integration.Tests.Imports;

/// <summary>import-api and import-worker sharing a bucket of their own on s3rver.</summary>
public sealed class S3ImportEnvironment : ImportEnvironment
{
    protected override async Task<(string Api, string Worker)> ObjectStorageAsync()
    {
        var store = TestStores.S3(await TestStores.NewS3BucketAsync(CancellationToken.None));
        return (store, store);
    }
}

/// <summary>import-api and import-worker sharing a container of their own on Azurite.</summary>
public sealed class AzureBlobImportEnvironment : ImportEnvironment
{
    protected override async Task<(string Api, string Worker)> ObjectStorageAsync()
    {
        var store = TestStores.Azure(await TestStores.NewAzureContainerAsync(CancellationToken.None));
        return (store, store);
    }
}

/// <summary>Imports end to end through each cloud store, next to the same imports through the local folder.</summary>
public sealed class CloudStorageImportTests(ImportEnvironment local, S3ImportEnvironment s3, AzureBlobImportEnvironment azure)
    : IClassFixture<ImportEnvironment>, IClassFixture<S3ImportEnvironment>, IClassFixture<AzureBlobImportEnvironment>
{
    public static TheoryData<string> Files => ["places.geojson", "places.zip"];

    [Theory]
    [MemberData(nameof(Files))]
    public async Task AFileImportedThroughS3OrAzureBlobMakesTheSameTableAsThroughTheLocalFolder(string fileName)
    {
        // A GeoJSON read natively from the downloaded copy; a zipped Shapefile unpacked in its scratch folder and read by GDAL.
        var bytes = fileName.EndsWith(".zip", StringComparison.Ordinal)
            ? TestFiles.ConvertedPlaces("ESRI Shapefile", ".shp")
            : Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson());

        var expected = await ImportAsync(local, fileName, bytes);
        foreach (var cloud in new ImportEnvironment[] { s3, azure })
        {
            Assert.Equal(expected, await ImportAsync(cloud, fileName, bytes));
        }
    }

    [Fact]
    public async Task APreviewReadsItsFileBackFromEachCloudStore()
    {
        foreach (var cloud in new ImportEnvironment[] { s3, azure })
        {
            using var response = await cloud.UploadAsync(cloud.A, "places.csv", new ByteArrayContent(Encoding.UTF8.GetBytes(TestFiles.PlacesCsv(30))),
                path: "/api/v3/imports/preview");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var preview = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            Assert.Equal("csv", preview.GetProperty("format").GetString());
            Assert.Equal(10, preview.GetProperty("rows").GetArrayLength());
        }
    }

    /// <summary>Imports the file and answers the table it made, every row as text in one digest, once the job's file is gone.</summary>
    private static async Task<string> ImportAsync(ImportEnvironment environment, string fileName, byte[] bytes)
    {
        var table = $"cloud_{Guid.NewGuid():N}"[..15];
        var job = await environment.ImportAsync(environment.A, fileName, bytes, new Dictionary<string, string> { ["destination"] = table });

        Assert.True(job.GetProperty("status").GetString() == "success", job.ToString());
        // The worker deletes the file once the job has ended.
        var storage = TestStores.Open(environment.ObjectStorage);
        Assert.Null(await storage.OpenLocalFileAsync(ImportJobs.StorageKey(job.GetProperty("id").GetGuid()), TestContext.Current.CancellationToken));
        return (await environment.WarehouseScalarAsync<string>(
            $"SELECT count(*) || ' rows ' || md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {environment.A.Schema}.{table} t"))!;
    }
}

/// <summary>import-api's store is down.</summary>
public sealed class ApiStorageDownImportEnvironment : ImportEnvironment
{
    protected override async Task<(string Api, string Worker)> ObjectStorageAsync()
    {
        var bucket = await TestStores.NewS3BucketAsync(CancellationToken.None);
        return (TestStores.S3(bucket, down: true), TestStores.S3(bucket));
    }
}

/// <summary>import-api keeps the upload, but import-worker's store is down when it reads it.</summary>
public sealed class WorkerStorageDownImportEnvironment : ImportEnvironment
{
    protected override async Task<(string Api, string Worker)> ObjectStorageAsync()
    {
        var container = await TestStores.NewAzureContainerAsync(CancellationToken.None);
        return (TestStores.Azure(container), TestStores.Azure(container, down: true));
    }
}

/// <summary>A store that is down fails the import it holds with a readable reason, and touches no other.</summary>
public sealed class StorageDownImportTests(ApiStorageDownImportEnvironment apiDown, WorkerStorageDownImportEnvironment workerDown)
    : IClassFixture<ApiStorageDownImportEnvironment>, IClassFixture<WorkerStorageDownImportEnvironment>
{
    [Fact]
    public async Task AnUploadToAStoreThatIsDownIsA503ProblemAndRecordsNoJob()
    {
        using var response = await apiDown.UploadAsync(apiDown.A, "places.geojson", new ByteArrayContent(Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson())));

        var problem = await SqlQueryApiTests.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "upstream-unavailable");
        Assert.Contains("object storage", problem.GetProperty("detail").GetString());
        Assert.Equal(0, await apiDown.MetadataScalarAsync<long>($"SELECT count(*) FROM jobs WHERE organization_id = '{apiDown.A.Id}'"));
    }

    [Fact]
    public async Task AJobWhoseFileCannotBeReadFailsWithAReadableReasonAndItsUploadStaysInTheStore()
    {
        var other = $"imports/{Guid.NewGuid():N}/file";
        var storage = TestStores.Open(workerDown.ObjectStorage);
        await storage.PutAsync(other, new MemoryStream([1, 2, 3]), 10, TestContext.Current.CancellationToken);

        var job = await workerDown.ImportAsync(workerDown.A, "places.geojson", Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson()));

        Assert.Equal("failure", job.GetProperty("status").GetString());
        Assert.Contains("could not be read from object storage", job.GetProperty("error").GetString());
        // The worker could not delete it either: the file is still there to import again, and another job's file is untouched.
        using var kept = await storage.OpenLocalFileAsync(ImportJobs.StorageKey(job.GetProperty("id").GetGuid()), TestContext.Current.CancellationToken);
        Assert.NotNull(kept);
        using var untouched = await storage.OpenLocalFileAsync(other, TestContext.Current.CancellationToken);
        Assert.NotNull(untouched);
    }
}
