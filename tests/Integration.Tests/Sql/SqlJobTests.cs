using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.TestSupport;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Sql;

/// <summary>Batch SQL jobs: maps-api records them, sql-worker (in process, through the Pub/Sub emulator) runs them.</summary>
public sealed class SqlJobTests(SqlEnvironment environment) : IClassFixture<SqlEnvironment>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AJobCreatesATableGoesFromPendingThroughRunningToSuccessAndPublishesDataChanged()
    {
        var id = await environment.SubmitJobAsync(environment.A, """
            CREATE TABLE capitals AS SELECT name, geom FROM cities WHERE population > 1000000;
            INSERT INTO capitals (name) VALUES ('Extra; with a semicolon');
            SELECT pg_sleep(1.5);
            """);
        var seen = new List<string>();
        JsonElement job = default;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            job = await environment.GetJobAsync(environment.A, id);
            var status = job.GetProperty("status").GetString()!;
            if (seen.LastOrDefault() != status)
            {
                seen.Add(status);
            }
            if (status is "success" or "failure" or "cancelled")
            {
                break;
            }
            await Task.Delay(50, Cancellation);
        }

        Assert.Equal(["running", "success"], seen.SkipWhile(status => status == "pending"));
        Assert.Equal(1, job.GetProperty("rowsAffected").GetInt64());
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        Assert.True(job.GetProperty("durationMs").GetDouble() >= 1500);
        var changed = Assert.Single(job.GetProperty("changedTables").EnumerateArray());
        Assert.Equal((environment.A.Schema, "capitals", "created"),
            (changed.GetProperty("schema").GetString(), changed.GetProperty("table").GetString(), changed.GetProperty("change").GetString()));

        using var client = environment.ClientOf(environment.A);
        var rows = await client.GetFromJsonAsync<JsonElement>(SqlQueryApiTests.QueryUrl("SELECT count(*) AS n FROM capitals"), Cancellation);
        Assert.Equal(3, rows.GetProperty("rows")[0].GetProperty("n").GetInt64());

        var events = await DataChangedEventsAsync(id);
        var dataChanged = Assert.Single(events);
        Assert.Equal($"carto_dw:{environment.A.Schema}.capitals", dataChanged.OrderingKey);
        Assert.Equal("created", dataChanged.Body.GetProperty("change").GetString());
        Assert.Equal(environment.A.Id, dataChanged.Body.GetProperty("organizationId").GetGuid());
        // And the outbox handed it to Pub/Sub.
        await Eventually.WaitUntilAsync(async () => await environment.MetadataScalarAsync<long>(
            $"SELECT count(*) FROM outbox_messages WHERE topic = 'data-changed' AND sent_at IS NOT NULL AND ordering_key = '{dataChanged.OrderingKey}'") == 1,
            TimeSpan.FromSeconds(10), "the data-changed event to be published", Cancellation);
    }

    [Fact]
    public async Task AJobThatChangesRowsAndDropsATableReportsEachTable()
    {
        await environment.AsOrganizationAsync(environment.A,
            "CREATE TABLE scratch (a int); CREATE TABLE counters (n int); INSERT INTO counters VALUES (0); CREATE TABLE noise (a int);");
        // A job just before, likely on the same pooled session: its writes are not the next job's.
        var noise = await environment.SubmitJobAsync(environment.A, "INSERT INTO noise VALUES (1)");
        Assert.Equal("noise:rows", Assert.Single((await environment.WaitForEndAsync(environment.A, noise)).GetProperty("changedTables")
            .EnumerateArray().Select(table => $"{table.GetProperty("table")}:{table.GetProperty("change")}")));
        var id = await environment.SubmitJobAsync(environment.A, "UPDATE counters SET n = n + 1; DROP TABLE scratch;");

        var job = await environment.WaitForEndAsync(environment.A, id);

        Assert.Equal("success", job.GetProperty("status").GetString());
        Assert.Equal(["counters:rows", "scratch:dropped"], job.GetProperty("changedTables").EnumerateArray()
            .Select(table => $"{table.GetProperty("table")}:{table.GetProperty("change")}"));
        Assert.Equal(2, (await DataChangedEventsAsync(id)).Count);
    }

    [Fact]
    public async Task CancelStopsARunningStatementWithinTwoSeconds()
    {
        var id = await environment.SubmitJobAsync(environment.A, "CREATE TABLE never_made (a int); SELECT pg_sleep(60);");
        await Eventually.WaitUntilAsync(async () => (await environment.GetJobAsync(environment.A, id)).GetProperty("status").GetString() == "running",
            TimeSpan.FromSeconds(20), "the job to run", Cancellation);
        await Eventually.WaitUntilAsync(async () => await SleepingBackendsAsync() == 1, TimeSpan.FromSeconds(10),
            "its pg_sleep to start", Cancellation);

        using var client = environment.ClientOf(environment.A);
        var clock = Stopwatch.StartNew();
        var cancel = await client.DeleteAsync($"/api/v3/sql/carto_dw/job/{id}", Cancellation);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.True((await cancel.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("cancelRequested").GetBoolean());
        var job = await environment.WaitForEndAsync(environment.A, id);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the cancel took {clock.Elapsed}");
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.Equal(0L, await SleepingBackendsAsync());
        Assert.Equal(0L, await environment.WarehouseScalarAsync<long>(
            $"SELECT count(*) FROM pg_tables WHERE schemaname = '{environment.A.Schema}' AND tablename = 'never_made'"));
        Assert.Empty(await DataChangedEventsAsync(id));
    }

    [Fact]
    public async Task CancellingAPendingJobEndsItAtOnceAndAnEndedJobStaysAsItWas()
    {
        // A job recorded without its message stays pending: nothing will pick it up.
        var id = await InsertJobAsync("""{"query": "SELECT 1"}""", "pending", attempts: 0, sendMessage: false);
        using var client = environment.ClientOf(environment.A);

        var cancelled = await client.DeleteAsync($"/api/v3/sql/carto_dw/job/{id}", Cancellation);
        var again = await client.DeleteAsync($"/api/v3/sql/carto_dw/job/{id}", Cancellation);

        Assert.Equal("cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("status").GetString());
        Assert.Equal("cancelled", (await again.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task AFailingJobEndsInFailureWithPostgresMessageAndPosition()
    {
        var id = await environment.SubmitJobAsync(environment.A, "CREATE TABLE half_done (a int); INSERT INTO half_done VALUES (1 / 0);");

        var job = await environment.WaitForEndAsync(environment.A, id);

        Assert.Equal("failure", job.GetProperty("status").GetString());
        var error = job.GetProperty("error");
        Assert.Equal("division by zero", error.GetProperty("message").GetString());
        Assert.Equal("22012", error.GetProperty("sqlState").GetString());
        // One transaction: the table of the first statement went with the failure of the second.
        Assert.Equal(0L, await environment.WarehouseScalarAsync<long>(
            $"SELECT count(*) FROM pg_tables WHERE schemaname = '{environment.A.Schema}' AND tablename = 'half_done'"));
        Assert.Equal(JsonValueKind.Null, job.GetProperty("changedTables").ValueKind);
    }

    [Fact]
    public async Task ARedeliveredJobMessageDoesNotRunTheJobAgain()
    {
        var id = await environment.SubmitJobAsync(environment.A, "INSERT INTO runs (job) VALUES (current_setting('application_name'))");
        Assert.Equal("success", (await environment.WaitForEndAsync(environment.A, id)).GetProperty("status").GetString());

        // The same job asked for again (a new message, as a retried publish or a replayed topic would be).
        Guid messageId;
        await using (var metadata = NpgsqlDataSource.Create(environment.Metadata))
        await using (var connection = await metadata.OpenConnectionAsync(Cancellation))
        await using (var transaction = await connection.BeginTransactionAsync(Cancellation))
        {
            messageId = await OutboxWriter.EnqueueAsync(transaction, MessagingTopology.Topics.SqlJobs, new JobRequested(id, environment.A.Id),
                cancellationToken: Cancellation);
            await transaction.CommitAsync(Cancellation);
        }
        await Eventually.WaitUntilAsync(async () => await environment.MetadataScalarAsync<long>(
            $"SELECT count(*) FROM inbox_messages WHERE message_id = '{messageId}'") == 1,
            TimeSpan.FromSeconds(20), "the second message to be handled", Cancellation);

        var job = await environment.GetJobAsync(environment.A, id);
        Assert.Equal(("success", 1), (job.GetProperty("status").GetString(), job.GetProperty("attempts").GetInt32()));
        Assert.Equal(1L, await environment.WarehouseScalarAsync<long>($"SELECT count(*) FROM \"{environment.A.Schema}\".runs"));
    }

    [Fact]
    public async Task AJobWhoseWorkerKeptStoppingFailsWithThatReasonInsteadOfStayingRunning()
    {
        // As three runs that each lost their worker before their warehouse transaction began would leave it.
        var id = await InsertJobAsync("""{"query": "SELECT 1"}""", "running", attempts: 3);

        var job = await environment.WaitForEndAsync(environment.A, id);

        Assert.Equal("failure", job.GetProperty("status").GetString());
        Assert.StartsWith("The job was started 3 times without finishing", job.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task AJobThatCannotRunAtAllEndsInFailureAndIsNotLeftRunning()
    {
        // A record without its SQL (as no API writes it): every delivery fails until the job's end is forced.
        var id = await InsertJobAsync("{}", "pending", attempts: 0);

        var job = await environment.WaitForEndAsync(environment.A, id, TimeSpan.FromSeconds(60));

        Assert.Equal("failure", job.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.String, job.GetProperty("error").GetProperty("message").ValueKind);
    }

    /// <summary>A job written straight into the metadata database (with its message, unless not wanted), as a test needs it to be.</summary>
    private async Task<Guid> InsertJobAsync(string request, string status, int attempts, bool sendMessage = true)
    {
        await using var metadata = NpgsqlDataSource.Create(environment.Metadata);
        var id = Guid.CreateVersion7();
        await using var connection = await metadata.OpenConnectionAsync(Cancellation);
        await using var transaction = await connection.BeginTransactionAsync(Cancellation);
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO jobs (id, kind, organization_id, connection, request, status, attempts, started_at)
            VALUES ($1, 'sql', $2, 'carto_dw', $3::jsonb, $4, $5, CASE WHEN $4 = 'running' THEN now() END)
            """, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = environment.A.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = request });
            insert.Parameters.Add(new NpgsqlParameter { Value = status });
            insert.Parameters.Add(new NpgsqlParameter { Value = attempts });
            await insert.ExecuteNonQueryAsync(Cancellation);
        }
        if (sendMessage)
        {
            await OutboxWriter.EnqueueAsync(transaction, MessagingTopology.Topics.SqlJobs, new JobRequested(id, environment.A.Id),
                cancellationToken: Cancellation);
        }
        await transaction.CommitAsync(Cancellation);
        return id;
    }

    [Theory]
    [InlineData("{}", "query is the SQL")]
    [InlineData("{\"query\": \"   \"}", "query is the SQL")]
    public async Task AJobWithoutSqlIsABadRequestAndRecordsNothing(string body, string detail)
    {
        using var client = environment.ClientOf(environment.A);
        var before = await environment.MetadataScalarAsync<long>("SELECT count(*) FROM jobs");

        var response = await client.PostAsync("/api/v3/sql/carto_dw/job", new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
            Cancellation);

        var problem = await SqlQueryApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
        Assert.Equal(before, await environment.MetadataScalarAsync<long>("SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task JobsAreListedNewestFirstAndNoOrganizationSeesAnothersJob()
    {
        var first = await environment.SubmitJobAsync(environment.A, "SELECT 1");
        var second = await environment.SubmitJobAsync(environment.A, "SELECT 2");
        using var a = environment.ClientOf(environment.A);
        using var b = environment.ClientOf(environment.B);

        var page = await a.GetFromJsonAsync<JsonElement>("/api/v3/sql/jobs?pageSize=100", Cancellation);
        var ids = page.GetProperty("jobs").EnumerateArray().Select(job => job.GetProperty("id").GetGuid()).ToList();
        Assert.True(ids.IndexOf(second) < ids.IndexOf(first) && ids.IndexOf(first) >= 0, "newest first");

        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/api/v3/sql/carto_dw/job/{first}", Cancellation)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.DeleteAsync($"/api/v3/sql/carto_dw/job/{first}", Cancellation)).StatusCode);
        var bJobs = await b.GetFromJsonAsync<JsonElement>("/api/v3/sql/jobs", Cancellation);
        Assert.DoesNotContain(bJobs.GetProperty("jobs").EnumerateArray(), job => job.GetProperty("id").GetGuid() == first);
    }

    private async Task<long> SleepingBackendsAsync() => await environment.WarehouseScalarAsync<long>(
        $"SELECT count(*) FROM pg_stat_activity WHERE usename = '{environment.A.Schema}' AND query LIKE '%pg_sleep(60)%' AND state = 'active'");

    private async Task<List<(string? OrderingKey, JsonElement Body)>> DataChangedEventsAsync(Guid jobId)
    {
        await using var metadata = NpgsqlDataSource.Create(environment.Metadata);
        await using var command = metadata.CreateCommand(
            "SELECT ordering_key, convert_from(body, 'UTF8') FROM outbox_messages WHERE topic = 'data-changed' ORDER BY id");
        var events = new List<(string?, JsonElement)>();
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        while (await reader.ReadAsync(Cancellation))
        {
            var body = JsonSerializer.Deserialize<JsonElement>(reader.GetString(1));
            if (body.GetProperty("jobId").GetGuid() == jobId)
            {
                events.Add((reader.IsDBNull(0) ? null : reader.GetString(0), body));
            }
        }
        return events;
    }
}
