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

    /// <summary>
    /// A 1 GiB upload streams through the router and import-api into object storage: import-api's peak resident memory
    /// (VmHWM, since it started) stays under 256 MB. The file is GeoJSON broken right after its opening, so the worker
    /// fails it at once with a readable reason instead of spending minutes on a gigabyte.
    /// </summary>
    [Fact]
    public async Task AGigabyteUploadKeepsImportApiUnder256MegabytesOfMemoryAndABrokenFileFailsWithItsReason()
    {
        await Platform.WaitHealthyAsync(Patience);
        const long size = 1L << 30;
        var table = "gigabyte_" + Guid.NewGuid().ToString("N")[..8];

        using var form = new MultipartFormDataContent
        {
            { new StringContent(table), "destination" },
            { new StreamContent(new BrokenGeoJsonStream(size), 1 << 16), "file", "broken.geojson" },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Platform.Router, "/api/v3/imports")) { Content = form };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Platform.DevToken);
        using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        using var response = await client.SendAsync(request, Cancellation);
        var body = await response.Content.ReadAsStringAsync(Cancellation);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, body);

        var peak = PeakResidentBytes(await Platform.WorkingProcessAsync("import-api"));
        TestContext.Current.TestOutputHelper?.WriteLine($"import-api's peak resident memory after a 1 GiB upload: {peak / (1024 * 1024)} MiB");
        Assert.True(peak < 256L * 1024 * 1024, $"import-api peaked at {peak / (1024 * 1024)} MiB");

        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
        JsonElement job = default;
        await WaitUntilAsync(async () => PlatformImports.JobStatus(job = await Platform.ImportJobAsync(id, Cancellation)) is "failure",
            "the broken gigabyte to fail");
        Assert.False(string.IsNullOrWhiteSpace(job.GetProperty("error").ToString()), job.ToString());
    }

    /// <summary>A process's peak resident set since it started, from /proc.</summary>
    private static long PeakResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(line => line.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary><paramref name="length"/> bytes made as they are read: a GeoJSON opening, then what no parser takes.</summary>
    private sealed class BrokenGeoJsonStream(long length) : Stream
    {
        private static readonly byte[] Opening = """{"type":"FeatureCollection","features":[ """u8.ToArray();
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++)
            {
                var at = _position + i;
                buffer[offset + i] = at < Opening.Length ? Opening[at] : (byte)'x';
            }
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
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
