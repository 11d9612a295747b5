using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.ImportApi.Imports;
using CartoSelfHosted.ImportWorker.Imports;
using CartoSelfHosted.Integration.Tests.Sql;
using CartoSelfHosted.TestSupport;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Imports;

/// <summary>
/// import-api and import-worker, in process, sharing a metadata database, a warehouse, object storage (a folder, unless
/// a derived environment names another store) and a Pub/Sub project of their own; organizations A and B with a token each.
/// </summary>
public class ImportEnvironment : IAsyncLifetime
{
    public TenantDatabases Databases { get; private set; } = null!;

    public ApiFactory<ImportJobView> Api { get; private set; } = null!;

    public ApiFactory<ImportJobHandler> Worker { get; private set; } = null!;

    public string Warehouse { get; private set; } = null!;

    public string Metadata { get; private set; } = null!;

    public string Storage { get; } = Directory.CreateTempSubdirectory("carto-imports-").FullName;

    public TestOrganization A { get; private set; } = null!;

    public TestOrganization B { get; private set; } = null!;

    /// <summary>import-api's object storage, as its connection string names it.</summary>
    public string ObjectStorage { get; private set; } = null!;

    /// <summary>
    /// The object storage of import-api and of import-worker: the same store, unless a test wants one that the other
    /// cannot reach. By default, the folder <see cref="Storage"/>.
    /// </summary>
    protected virtual Task<(string Api, string Worker)> ObjectStorageAsync() => Task.FromResult((Storage, Storage));

    public async ValueTask InitializeAsync()
    {
        var (apiStorage, workerStorage) = await ObjectStorageAsync();
        ObjectStorage = apiStorage;
        Databases = await TenantDatabases.CreateAsync("imp");
        (Metadata, Warehouse, A, B) = (Databases.Metadata, Databases.Warehouse, Databases.A, Databases.B);
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:metadata"] = Metadata,
            ["ConnectionStrings:warehouse"] = Warehouse,
            ["ConnectionStrings:object-storage"] = apiStorage,
            ["PUBSUB_EMULATOR_HOST"] = TestServers.PubSubEmulatorHost,
            ["PubSub:ProjectId"] = $"test-{Guid.NewGuid():N}"[..24],
            ["Messaging:MinRetryDelay"] = "00:00:00.2",
            ["Messaging:MaxRetryDelay"] = "00:00:01",
            // Small enough for the tests to reach without gigabytes.
            ["Imports:MaxFileBytes"] = (150L * 1024 * 1024).ToString(),
            ["Imports:MaxExtractedBytes"] = (400L * 1024 * 1024).ToString(),
        };
        Api = await ApiFactory<ImportJobView>.StartAsync("imp_api", settings);
        // The worker may fetch from loopback, where the tests serve URL imports' files; import-api may not, so its
        // refusals are tested (the worker's own check is ImportUrls', tested on its own).
        Worker = await ApiFactory<ImportJobHandler>.StartAsync("imp_worker",
            new Dictionary<string, string>(settings) { ["Imports:AllowPrivateUrls"] = "true", ["ConnectionStrings:object-storage"] = workerStorage });
    }

    public HttpClient ClientOf(TestOrganization organization) => Api.CreateClient(organization.Token);

    /// <summary>Uploads <paramref name="content"/> as <paramref name="fileName"/> with the form's other fields.</summary>
    public async Task<HttpResponseMessage> UploadAsync(TestOrganization organization, string fileName, HttpContent content,
        IReadOnlyDictionary<string, string>? fields = null, string path = "/api/v3/imports")
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            form.Add(new StringContent(value), name);
        }
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, "file", fileName);
        using var client = ClientOf(organization);
        client.Timeout = TimeSpan.FromMinutes(5);
        return await client.PostAsync(path, form, TestContext.Current.CancellationToken);
    }

    /// <summary>Uploads a file and waits for its import to end; returns the job.</summary>
    public async Task<JsonElement> ImportAsync(TestOrganization organization, string fileName, byte[] bytes,
        IReadOnlyDictionary<string, string>? fields = null) =>
        await ImportAsync(organization, fileName, new ByteArrayContent(bytes), fields);

    public async Task<JsonElement> ImportAsync(TestOrganization organization, string fileName, HttpContent content,
        IReadOnlyDictionary<string, string>? fields = null)
    {
        using var response = await UploadAsync(organization, fileName, content, fields);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var job = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("pending", job.GetProperty("status").GetString());
        return await WaitForEndAsync(organization, job.GetProperty("id").GetGuid());
    }

    public async Task<JsonElement> GetJobAsync(TestOrganization organization, Guid id)
    {
        using var client = ClientOf(organization);
        return await client.GetFromJsonAsync<JsonElement>($"/api/v3/imports/{id}", TestContext.Current.CancellationToken);
    }

    public async Task<JsonElement> WaitForEndAsync(TestOrganization organization, Guid id)
    {
        JsonElement job = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            job = await GetJobAsync(organization, id);
            return job.GetProperty("status").GetString() is "success" or "failure" or "cancelled";
        }, TimeSpan.FromSeconds(120), $"import {id} to end", TestContext.Current.CancellationToken);
        return job;
    }

    public Task<T?> WarehouseScalarAsync<T>(string sql) => Databases.WarehouseScalarAsync<T>(sql);

    public Task<T?> MetadataScalarAsync<T>(string sql) => Databases.MetadataScalarAsync<T>(sql);

    /// <summary>Staging tables anywhere in the warehouse: an import that ended leaves none.</summary>
    public Task<long> StagingTablesAsync() => WarehouseScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_import\\_%'");

    public async ValueTask DisposeAsync()
    {
        await Worker.DisposeAsync();
        await Api.DisposeAsync();
        Directory.Delete(Storage, recursive: true);
    }
}
