using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.Platform.Warehouse;
using CartoSelfHosted.MapsApi.Apis;
using CartoSelfHosted.SqlWorker.Jobs;
using CartoSelfHosted.TestSupport;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Sql;

/// <summary>An organization the tests made directly in the metadata database, with its token.</summary>
public sealed record TestOrganization(Guid Id, string Slug, string Token)
{
    public string Schema => WarehouseDatabase.OrganizationSchema(Slug);
}

/// <summary>
/// maps-api and sql-worker, in process, sharing a metadata database, a warehouse and a Pub/Sub project of their own;
/// two organizations (A and B) with a token each; A has a <c>cities</c> table, B a <c>secrets</c> table. maps-api's
/// Maps API (tiles) is tested on it too.
/// </summary>
public class SqlEnvironment : IAsyncLifetime
{
    public const int StatementTimeoutSeconds = 2;

    public TenantDatabases Databases { get; private set; } = null!;

    public ApiFactory<SqlJobView> Maps { get; private set; } = null!;

    public ApiFactory<SqlJobHandler> Worker { get; private set; } = null!;

    public string Metadata { get; private set; } = null!;

    public string Warehouse { get; private set; } = null!;

    public TestOrganization A { get; private set; } = null!;

    public TestOrganization B { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Databases = await TenantDatabases.CreateAsync("sql");
        (Metadata, Warehouse, A, B) = (Databases.Metadata, Databases.Warehouse, Databases.A, Databases.B);
        await AsOrganizationAsync(A, """
            CREATE TABLE cities (name text, population int, founded date, tags jsonb, geom geometry(Point, 4326));
            INSERT INTO cities VALUES
                ('Lisbon', 545000, '1147-10-25', '{"coast": true}', 'SRID=4326;POINT(-9.14 38.72)'),
                ('Madrid', 3300000, '0865-01-01', '{"coast": false}', 'SRID=4326;POINT(-3.7 40.42)'),
                ('Quito', 2800000, '1534-12-06', null, 'SRID=4326;POINT(-78.47 -0.18)'),
                ('Nowhere, "Quoted"', null, null, null, null);
            CREATE TABLE runs (id serial PRIMARY KEY, job text);
            """);
        await AsOrganizationAsync(B, "CREATE TABLE secrets (secret text); INSERT INTO secrets VALUES ('b-only');");

        var projectId = $"test-{Guid.NewGuid():N}"[..24];
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:metadata"] = Metadata,
            ["ConnectionStrings:warehouse"] = Warehouse,
            ["ConnectionStrings:redis"] = RedisConnectionString,
            ["PUBSUB_EMULATOR_HOST"] = TestServers.PubSubEmulatorHost,
            ["PubSub:ProjectId"] = projectId,
            ["SqlApi:StatementTimeout"] = $"00:00:0{StatementTimeoutSeconds}",
            ["MapsApi:StatementTimeout"] = $"00:00:0{StatementTimeoutSeconds}",
            ["MapsApi:TileStatementTimeout"] = $"00:00:0{StatementTimeoutSeconds}",
            // Every tile is kept in Redis, so the tests read tiles back from it.
            ["MapsApi:RedisTileMinimumCost"] = "00:00:00",
            ["Messaging:MinRetryDelay"] = "00:00:00.2",
            ["Messaging:MaxRetryDelay"] = "00:00:01",
        };
        Maps = await ApiFactory<SqlJobView>.StartAsync("sql", settings);
        Worker = await ApiFactory<SqlJobHandler>.StartAsync("sql_worker", settings);
    }

    /// <summary>The Redis maps-api and its tests use (host:port).</summary>
    public virtual string RedisConnectionString => TestServers.Redis;

    public HttpClient ClientOf(TestOrganization organization) => Maps.CreateClient(organization.Token);

    /// <summary>Runs SQL in the warehouse as the organization's role, as the administrator sets it up.</summary>
    public Task AsOrganizationAsync(TestOrganization organization, string sql) => Databases.AsOrganizationAsync(organization, sql);

    public Task<T?> WarehouseScalarAsync<T>(string sql) => Databases.WarehouseScalarAsync<T>(sql);

    public Task<T?> MetadataScalarAsync<T>(string sql) => Databases.MetadataScalarAsync<T>(sql);

    /// <summary>Submits a batch job as the organization and returns its id.</summary>
    public async Task<Guid> SubmitJobAsync(TestOrganization organization, string query)
    {
        using var client = ClientOf(organization);
        var response = await client.PostAsJsonAsync("/api/v3/sql/carto_dw/job", new { query }, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var job = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("pending", job.GetProperty("status").GetString());
        return job.GetProperty("id").GetGuid();
    }

    public async Task<JsonElement> GetJobAsync(TestOrganization organization, Guid id)
    {
        using var client = ClientOf(organization);
        return await client.GetFromJsonAsync<JsonElement>($"/api/v3/sql/carto_dw/job/{id}", TestContext.Current.CancellationToken);
    }

    /// <summary>Waits until the job has ended (success, failure or cancelled) and returns it.</summary>
    public async Task<JsonElement> WaitForEndAsync(TestOrganization organization, Guid id, TimeSpan? timeout = null)
    {
        JsonElement job = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            job = await GetJobAsync(organization, id);
            return job.GetProperty("status").GetString() is "success" or "failure" or "cancelled";
        }, timeout ?? TimeSpan.FromSeconds(30), $"job {id} to end", TestContext.Current.CancellationToken);
        return job;
    }

    public async ValueTask DisposeAsync()
    {
        await Worker.DisposeAsync();
        await Maps.DisposeAsync();
    }
}
