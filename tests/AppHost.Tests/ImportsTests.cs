using System.Globalization;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.TestSupport;
using Npgsql;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>Imports in the running platform: uploads through the router, import-worker as its own process.</summary>
public sealed class ImportsTests(RunningPlatform running) : IClassFixture<RunningPlatform>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private PlatformInProcess Platform => running.Platform;

    [Fact]
    public async Task TheCitiesGeoJsonUploadedThroughTheRouterBecomesATableOfEveryCityWithTypesAGistIndexAndItsBounds()
    {
        await Platform.WaitHealthyAsync(Patience);
        var file = Path.Combine(Platform.DataDirectory, "cities.geojson");
        var cities = await PlatformImports.WriteCitiesAsync(file, Cancellation);
        var table = "cities_" + Guid.NewGuid().ToString("N")[..8];

        var job = await Platform.ImportAsync(file, "cities.geojson", table, Patience, Cancellation);

        Assert.True(job.GetProperty("status").GetString() == "success", job.ToString());
        var result = job.GetProperty("result");
        var count = cities.GetProperty("count").GetInt64();
        Assert.Equal(count, result.GetProperty("rows").GetInt64());
        Assert.Equal("Point", result.GetProperty("geometryType").GetString());
        Assert.Equal(
            ["cityid:integer", "name:text", "country:text", "population:integer", "geom:geometry(Point, 4326)"],
            result.GetProperty("columns").EnumerateArray().Select(c => $"{c.GetProperty("name")}:{c.GetProperty("type")}"));
        var expected = cities.GetProperty("bounds").EnumerateArray().Select(b => b.GetDouble()).ToArray();
        Assert.Equal(expected, result.GetProperty("bounds").EnumerateArray().Select(b => b.GetDouble()), (x, y) => Math.Abs(x - y) < 1e-6);

        Assert.Equal(count, await WarehouseScalarAsync<long>($"SELECT count(*) FROM org_default.{table}"));
        Assert.Equal(1, await WarehouseScalarAsync<long>(
            $"SELECT count(*) FROM pg_indexes WHERE schemaname = 'org_default' AND tablename = '{table}' AND indexdef LIKE '%USING gist (geom)%'"));
        Assert.Equal("integer", await WarehouseScalarAsync<string>(
            $"SELECT data_type FROM information_schema.columns WHERE table_schema = 'org_default' AND table_name = '{table}' AND column_name = 'population'"));
        Assert.Equal("Sant Julià de Lòria", await WarehouseScalarAsync<string>($"SELECT name FROM org_default.{table} WHERE cityid = 3039163"));
    }

    [Fact]
    public async Task AnImportWhoseWorkerIsKilledMidRunCompletesAfterTheRestartWithTheExactRowCountAndNoStagingTable()
    {
        await Platform.WaitHealthyAsync(Patience);
        const int points = 2_500_000;
        var file = Path.Combine(Platform.DataDirectory, "many-points.geojson");
        await WritePointsAsync(file, points);
        var table = "killed_" + Guid.NewGuid().ToString("N")[..8];

        var id = await Platform.UploadAsync(file, "many-points.geojson", table, Patience, Cancellation);
        // Killed once rows are being written (progress is written every second while they are).
        JsonElement job = default;
        await WaitUntilAsync(async () => PlatformImports.JobStatus(job = await Platform.ImportJobAsync(id, Cancellation)) is not ("pending" or "running")
            || job.GetProperty("progress").TryGetProperty("rowsWritten", out var rows) && rows.GetInt64() > 0, "rows to be written");
        Assert.Equal("running", job.GetProperty("status").GetString());
        var before = Platform.Resource("import-worker");
        ProcessSignals.Kill9(await Platform.WorkingProcessAsync("import-worker"));
        await Platform.WaitForResourceAsync("import-worker", state => state.Restarts == before.Restarts + 1 && state.State == "Running", Patience);

        await WaitUntilAsync(async () => PlatformImports.JobStatus(job = await Platform.ImportJobAsync(id, Cancellation)) is "success" or "failure", "the import to end after the restart");
        Assert.True(PlatformImports.JobStatus(job) == "success", job.ToString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
        Assert.Equal(points, job.GetProperty("result").GetProperty("rows").GetInt64());
        Assert.Equal(points, await WarehouseScalarAsync<long>($"SELECT count(*) FROM org_default.{table}"));
        Assert.Equal(0, await WarehouseScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_import\\_%'"));
    }

    private static async Task WritePointsAsync(string file, int count)
    {
        await using var writer = new StreamWriter(file, false, new UTF8Encoding(false), 1 << 20);
        await writer.WriteAsync("{\"type\":\"FeatureCollection\",\"features\":[\n");
        for (var i = 0; i < count; i++)
        {
            await writer.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                $"{(i == 0 ? "" : ",\n")}{{\"type\":\"Feature\",\"properties\":{{\"n\":{i},\"label\":\"point {i}\"}},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{i % 360 - 180 + 0.5},{i % 170 - 85 + 0.25}]}}}}"));
        }
        await writer.WriteAsync("\n]}\n");
    }

    private async Task<T> WarehouseScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(Platform.ConnectionString("warehouse"));
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) =>
        Eventually.WaitUntilAsync(condition, Patience, what, Cancellation);
}
