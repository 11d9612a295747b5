using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>The SQL API and sql-worker in the running platform, through the router and the HTTP cache.</summary>
public sealed class SqlApiTests(RunningPlatform running) : IClassFixture<RunningPlatform>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private PlatformInProcess Platform => running.Platform;

    [Fact]
    public async Task AGetQueryIsCachedPerTokenByTheHttpCacheAndAPostGoesStraightThrough()
    {
        await Platform.WaitHealthyAsync(Patience);
        var url = "/api/v3/sql/carto_dw/query?q=" + Uri.EscapeDataString($"SELECT '{Guid.NewGuid()}' AS marker, $1::int + 1 AS n")
            + "&queryParameters=" + Uri.EscapeDataString("[41]");

        var first = await SendAsync(HttpMethod.Get, url);
        Assert.Equal("MISS", CacheOf(first));
        // Another test's job may purge the organization's answers between two GETs: the answer is cached again then.
        await WaitUntilAsync(async () => CacheOf(await SendAsync(HttpMethod.Get, url)) == "HIT", "the answer to be cached");
        var post = await SendAsync(HttpMethod.Post, "/api/v3/sql/carto_dw/query", new { q = "SELECT 1 AS one" });

        Assert.Equal(42, (await first.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("rows")[0].GetProperty("n").GetInt32());
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        // Piped through the cache, which neither looks it up nor stores it.
        Assert.Null(CacheOf(post));
        Assert.Equal("no-store", post.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task AJobThatChangesATablePurgesTheCachedAnswersOfItsOrganization()
    {
        await Platform.WaitHealthyAsync(Patience);
        var table = "purged_" + Guid.NewGuid().ToString("N")[..8];
        await RunJobAsync($"CREATE TABLE {table} AS SELECT 1 AS n");
        var url = "/api/v3/sql/carto_dw/query?q=" + Uri.EscapeDataString($"SELECT sum(n) AS total FROM {table}");
        Assert.Equal("MISS", CacheOf(await SendAsync(HttpMethod.Get, url)));
        // The CREATE job's own purge reaches the cache a moment after the job ends, and may empty it once more.
        await WaitUntilAsync(async () => CacheOf(await SendAsync(HttpMethod.Get, url)) == "HIT", "the answer to be cached");

        await RunJobAsync($"INSERT INTO {table} VALUES (41)");

        // data-changed → cdn-invalidator → PURGE by the organization's key: the next GET is answered afresh.
        await WaitUntilAsync(async () =>
        {
            var fresh = await SendAsync(HttpMethod.Get, url);
            return CacheOf(fresh) == "MISS"
                && (await fresh.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("rows")[0]
                    .GetProperty("total").GetInt64() == 42;
        }, "the cached answer to be purged");
    }

    [Fact]
    public async Task AJobWhoseWorkerIsKilledMidRunEndsOnceAfterTheRestartAndIsNeverLeftRunning()
    {
        await Platform.WaitHealthyAsync(Patience);
        var table = "killed_" + Guid.NewGuid().ToString("N")[..8];
        var created = await SendAsync(HttpMethod.Post, "/api/v3/sql/carto_dw/job",
            new { query = $"CREATE TABLE {table} AS SELECT g FROM generate_series(1, 1000) g; SELECT pg_sleep(5);" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetGuid();

        // Killed once its statements run (the log line comes before its warehouse transaction, so give it a moment).
        await WaitUntilAsync(() => Task.FromResult(Platform.LogOf("sql-worker").Contains($"Running sql job {id}, attempt 1")),
            "the sql-worker to start the job");
        await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);
        Assert.Equal("running", (await JobAsync(id)).GetProperty("status").GetString());
        var before = Platform.Resource("sql-worker");
        ProcessSignals.Kill9(await Platform.WorkingProcessAsync("sql-worker"));
        await Platform.WaitForResourceAsync("sql-worker", state => state.Restarts == before.Restarts + 1 && state.State == "Running", Patience);

        JsonElement job = default;
        await WaitUntilAsync(async () => (job = await JobAsync(id)).GetProperty("status").GetString() is "success" or "failure",
            "the job to end after the restart");
        Assert.Equal("success", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
        // The first run's transaction died with its worker: the table holds the second run's rows, once.
        var count = await SendAsync(HttpMethod.Get, "/api/v3/sql/carto_dw/query?q=" + Uri.EscapeDataString($"SELECT count(*) AS n FROM {table}"));
        Assert.Equal(1000, (await count.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("rows")[0].GetProperty("n").GetInt64());
    }

    [Fact]
    public async Task TablesASqlJobAndAnImportMakeAreInTheCatalogWithinASecondOfTheirEnd()
    {
        await Platform.WaitHealthyAsync(Patience);
        const string Listing = "/api/v3/connections/carto_dw/resources/org_default?page_size=1000";
        // The first listing reads the warehouse whole; the HTTP cache keeps it until workspace-subscriber purges it.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, Listing)).StatusCode);
        Assert.Equal("HIT", CacheOf(await SendAsync(HttpMethod.Get, Listing)));
        // A first job warms the path up (Debug builds, each service's first event), to its end; the next ones are the ones timed.
        var warm = "warm_" + Guid.NewGuid().ToString("N")[..8];
        await RunJobAsync($"CREATE TABLE {warm} AS SELECT 1 AS n");
        await TimeUntilListedAsync(Listing, warm);

        var jobTable = "by_job_" + Guid.NewGuid().ToString("N")[..8];
        await RunJobAsync($"CREATE TABLE {jobTable} AS SELECT g AS n, ST_SetSRID(ST_Point(g, g), 4326) AS geom FROM generate_series(1, 5) g");
        var afterJob = await TimeUntilListedAsync(Listing, jobTable);

        var file = Path.Combine(Directory.CreateTempSubdirectory("carto-catalog-").FullName, "places.csv");
        await File.WriteAllTextAsync(file, "name,latitude,longitude\nLisbon,38.72,-9.14\nQuito,-0.18,-78.47\n", TestContext.Current.CancellationToken);
        var importTable = "by_import_" + Guid.NewGuid().ToString("N")[..8];
        var import = await Platform.ImportAsync(file, "places.csv", importTable, Patience, TestContext.Current.CancellationToken);
        Assert.Equal("success", PlatformImports.JobStatus(import));
        var afterImport = await TimeUntilListedAsync(Listing, importTable);

        TestContext.Current.TestOutputHelper?.WriteLine($"in the catalog {afterJob.TotalMilliseconds:0} ms after the job, {afterImport.TotalMilliseconds:0} ms after the import");
        Assert.True(afterJob < TimeSpan.FromSeconds(1), $"the job's table was listed {afterJob.TotalMilliseconds:0} ms after the job ended");
        Assert.True(afterImport < TimeSpan.FromSeconds(1), $"the import's table was listed {afterImport.TotalMilliseconds:0} ms after the import ended");
        var table = await SendAsync(HttpMethod.Get, $"/api/v3/connections/carto_dw/resources/org_default/{jobTable}");
        var described = await table.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal((5, "geom"), (described.GetProperty("rowCount").GetInt64(), described.GetProperty("geometryColumn").GetString()));
    }

    /// <summary>How long after now the catalog's listing (through the router and the HTTP cache) names <paramref name="table"/>.</summary>
    private async Task<TimeSpan> TimeUntilListedAsync(string listing, string table)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.WaitUntilAsync(async () =>
        {
            var answer = await (await SendAsync(HttpMethod.Get, listing)).Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            return answer.GetProperty("items").EnumerateArray().Any(item => item.GetProperty("name").GetString() == table);
        }, Patience, $"{table} in the catalog", TestContext.Current.CancellationToken);
        return started.Elapsed;
    }

    private async Task RunJobAsync(string query)
    {
        var created = await SendAsync(HttpMethod.Post, "/api/v3/sql/carto_dw/job", new { query });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetGuid();
        JsonElement job = default;
        await WaitUntilAsync(async () => (job = await JobAsync(id)).GetProperty("status").GetString() is "success" or "failure",
            $"job {id} to end");
        Assert.Equal("success", job.GetProperty("status").GetString());
    }

    private async Task<JsonElement> JobAsync(Guid id) =>
        await (await SendAsync(HttpMethod.Get, $"/api/v3/sql/carto_dw/job/{id}")).Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(Platform.Router, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Platform.DevToken);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return await Platform.Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static string? CacheOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) =>
        Eventually.WaitUntilAsync(condition, Patience, what, TestContext.Current.CancellationToken);
}
