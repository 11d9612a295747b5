using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Sql;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Messaging.Outbox;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Imports;

/// <summary>Imports end to end: import-api records the job, import-worker writes the table, in the real warehouse.</summary>
public sealed class ImportsApiTests(ImportEnvironment environment) : IClassFixture<ImportEnvironment>
{
    private TestOrganization A => environment.A;

    private static Dictionary<string, string> Into(string table, bool overwrite = false) =>
        new() { ["destination"] = table, ["overwrite"] = overwrite ? "true" : "false" };

    private static string NewTable(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    [Fact]
    public async Task AGeoJsonUploadBecomesATableWithEveryRowTypesAGistIndexAndItsBounds()
    {
        var table = NewTable("places");
        var job = await environment.ImportAsync(A, "places.geojson", Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson()), Into(table));

        Assert.Equal("success", job.GetProperty("status").GetString());
        var result = job.GetProperty("result");
        Assert.Equal(TestFiles.Places, result.GetProperty("rows").GetInt64());
        Assert.Equal("Point", result.GetProperty("geometryType").GetString());
        var types = result.GetProperty("columns").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("type").GetString());
        Assert.Equal("text", types["name"]);
        Assert.Equal("integer", types["population"]);
        Assert.Equal("double precision", types["share"]);
        Assert.Equal("date", types["founded"]);
        Assert.Equal("boolean", types["capital"]);
        var bounds = result.GetProperty("bounds").EnumerateArray().Select(b => b.GetDouble()).ToArray();
        var expected = TestFiles.PlacesBounds();
        Assert.Equal([expected.MinLon, expected.MinLat, expected.MaxLon, expected.MaxLat], bounds, (x, y) => Math.Abs(x - y) < 1e-6);

        Assert.Equal(TestFiles.Places, await environment.WarehouseScalarAsync<long>($"SELECT count(*) FROM {A.Schema}.{table}"));
        Assert.Equal("date", await environment.WarehouseScalarAsync<string>(
            $"SELECT data_type FROM information_schema.columns WHERE table_schema = '{A.Schema}' AND table_name = '{table}' AND column_name = 'founded'"));
        Assert.Equal(1, await environment.WarehouseScalarAsync<long>(
            $"SELECT count(*) FROM pg_indexes WHERE schemaname = '{A.Schema}' AND tablename = '{table}' AND indexdef LIKE '%USING gist (geom)%'"));
        Assert.Equal(4326, await environment.WarehouseScalarAsync<int>($"SELECT Find_SRID('{A.Schema}', '{table}', 'geom')"));
        // The organization owns it: it can query it through its own role.
        Assert.Equal(A.Schema, await environment.WarehouseScalarAsync<string>(
            $"SELECT tableowner FROM pg_tables WHERE schemaname = '{A.Schema}' AND tablename = '{table}'"));
        Assert.Equal(0, await environment.StagingTablesAsync());
    }

    public static TheoryData<string, string, string> OtherFormats => new()
    {
        { "places.csv", "csv", "Point" },
        { "places.zip", "ESRI Shapefile", "Point" },
        { "places.gpkg", "GPKG", "Point" },
        { "places.kml", "KML", "Point" },
        { "places.kmz", "KMZ", "Point" },
    };

    [Theory]
    [MemberData(nameof(OtherFormats))]
    public async Task TheSamePlacesAsCsvShapefileGeoPackageOrKmlImportEveryRow(string fileName, string driver, string geometryType)
    {
        var bytes = driver == "csv"
            ? Encoding.UTF8.GetBytes(TestFiles.PlacesCsv())
            : TestFiles.ConvertedPlaces(driver, driver == "ESRI Shapefile" ? ".shp" : Path.GetExtension(fileName));
        var table = NewTable("fmt");

        var job = await environment.ImportAsync(A, fileName, bytes, Into(table));

        Assert.True(job.GetProperty("status").GetString() == "success", job.ToString());
        Assert.Equal(TestFiles.Places, job.GetProperty("result").GetProperty("rows").GetInt64());
        Assert.Equal(geometryType, job.GetProperty("result").GetProperty("geometryType").GetString());
        Assert.Equal(TestFiles.Places, await environment.WarehouseScalarAsync<long>($"SELECT count(*) FROM {A.Schema}.{table} WHERE geom IS NOT NULL"));
        var expected = TestFiles.PlacesBounds();
        Assert.Equal(expected.MaxLon, await environment.WarehouseScalarAsync<double>($"SELECT ST_XMax(ST_Extent(geom)) FROM {A.Schema}.{table}"), 5);
        Assert.Equal(TestFiles.Places - 1, await environment.WarehouseScalarAsync<long>(
            $"SELECT max(population::bigint) / 1000 FROM {A.Schema}.{table}"));
    }

    [Fact]
    public async Task ATopoJsonWithoutADeclaredSridWithAnIdPropertyAndMixedTypesImports()
    {
        // Shared arcs, no transform, no crs: what world-atlas and us-atlas publish, in small.
        const string topology = """
            {"type":"Topology","objects":{"shapes":{"type":"GeometryCollection","geometries":[
              {"type":"Polygon","arcs":[[0]],"id":"A","properties":{"id":7,"name":"square"}},
              {"type":"Polygon","arcs":[[1]],"id":"B","properties":{"id":8,"name":"bow tie"}},
              {"type":"Point","coordinates":[5,5],"properties":{"id":9,"name":"point"}}]}},
             "arcs":[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[2,2],[3,3],[3,2],[2,3],[2,2]]]}
            """;
        var table = NewTable("topo");

        var job = await environment.ImportAsync(A, "shapes.json", Encoding.UTF8.GetBytes(topology), Into(table));

        Assert.True(job.GetProperty("status").GetString() == "success", job.ToString());
        var result = job.GetProperty("result");
        Assert.Equal(("topojson", 3L, "Geometry"), (result.GetProperty("format").GetString(), result.GetProperty("rows").GetInt64(),
            result.GetProperty("geometryType").GetString()));
        Assert.Equal(1, result.GetProperty("invalidGeometries").GetInt64());
        Assert.Equal(24, await environment.WarehouseScalarAsync<long>($"SELECT sum(id) FROM {A.Schema}.{table}"));
    }

    public static TheoryData<string, string, string> BadFiles => new()
    {
        // What was tried → the words the reason must contain.
        { "truncated.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":[1,2]}},{"type":"Feature","prop""", "feature 2" },
        { "invalid.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":[1,2]}},{"type":"Feature","properties":{"a":tru},"geometry":null}]}""", "feature 2" },
        { "projected.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[500000,4649776]}}]}""", "feature 1" },
        { "empty.csv", "", "empty" },
        { "blank.geojson", "  \n ", "empty" },
        { "no-features.geojson", """{"type":"FeatureCollection","features":[]}""", "no features" },
        { "lying.geojson", "name,latitude,longitude\nA,1,2\n", "CSV" },
        { "lying.csv", """{"type":"FeatureCollection","features":[]}""", "GeoJSON" },
        { "ragged.csv", "name,latitude,longitude\nA,1,2\nB,3,4,5,6\n", "line 3" },
        { "bad-latitude.csv", "name,latitude,longitude\nA,1,2\nB,north,4\n", "line 3" },
        { "not-geojson.json", """{"hello":"world"}""", "GeoJSON" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task ABadFileFailsWithAReadableReasonAndLeavesNothingBehind(string fileName, string content, string reasonContains)
    {
        var table = NewTable("bad");

        var job = await environment.ImportAsync(A, fileName, Encoding.UTF8.GetBytes(content), Into(table));

        Assert.Equal("failure", job.GetProperty("status").GetString());
        Assert.Contains(reasonContains, job.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.True(await environment.WarehouseScalarAsync<bool>($"SELECT to_regclass('{A.Schema}.{table}') IS NULL"));
        Assert.Equal(0, await environment.StagingTablesAsync());
        await AssertWorkerStillImportsAsync();
    }

    [Fact]
    public async Task AZipBombIsRefusedByItsRatioBeforeItIsUnpacked()
    {
        var job = await environment.ImportAsync(A, "bomb.zip", TestFiles.ZipBomb(300), Into(NewTable("bomb")));

        Assert.Equal("failure", job.GetProperty("status").GetString());
        Assert.Contains("zip bomb", job.GetProperty("error").GetString());
        Assert.Equal(0, await environment.StagingTablesAsync());
        // Nothing of it stays in object storage.
        Assert.Empty(Directory.EnumerateFiles(environment.Storage, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A100MegabyteSingleLineCsvFailsOnItsLineLengthInBoundedMemory()
    {
        const long length = 100L * 1024 * 1024;
        var job = await environment.ImportAsync(A, "one-line.csv", new GeneratedContent(length, i => (byte)(i % 10 == 9 ? ',' : 'a')),
            Into(NewTable("oneline")));

        Assert.Equal("failure", job.GetProperty("status").GetString());
        Assert.Contains("line 1", job.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        await AssertWorkerStillImportsAsync();
    }

    [Fact]
    public async Task AFileOverTheSizeLimitIs413AndNothingOfItIsKept()
    {
        // The environment's limit is 150 MB (5 GB by default): one byte more is refused while it streams in.
        using var response = await environment.UploadAsync(A, "huge.csv", new GeneratedContent(150L * 1024 * 1024 + 1, _ => (byte)'a'),
            Into(NewTable("huge")));

        await SqlQueryApiTests.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        Assert.DoesNotContain(Directory.EnumerateFiles(environment.Storage, "*", SearchOption.AllDirectories),
            file => file.EndsWith(".partial", StringComparison.Ordinal) || new FileInfo(file).Length > 100L * 1024 * 1024);
    }

    [Fact]
    public async Task MixedGeometryTypesLandInAGenericGeometryColumnAndPolygonsBesideMultiPolygonsBecomeMulti()
    {
        const string mixed = """
            {"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"k":"point"},"geometry":{"type":"Point","coordinates":[1,2]}},
            {"type":"Feature","properties":{"k":"line"},"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}}]}
            """;
        const string polygons = """
            {"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
            {"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":[[[[2,2],[3,2],[3,3],[2,2]]]]}},
            {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}]}
            """;
        var (mixedTable, polygonTable) = (NewTable("mixed"), NewTable("polys"));

        var mixedJob = await environment.ImportAsync(A, "mixed.geojson", Encoding.UTF8.GetBytes(mixed), Into(mixedTable));
        var polygonJob = await environment.ImportAsync(A, "polys.geojson", Encoding.UTF8.GetBytes(polygons), Into(polygonTable));

        Assert.Equal(("success", "Geometry"), (mixedJob.GetProperty("status").GetString(), mixedJob.GetProperty("result").GetProperty("geometryType").GetString()));
        Assert.Equal(("success", "MultiPolygon"), (polygonJob.GetProperty("status").GetString(), polygonJob.GetProperty("result").GetProperty("geometryType").GetString()));
        Assert.Equal("MULTIPOLYGON", await environment.WarehouseScalarAsync<string>($"SELECT DISTINCT GeometryType(geom) FROM {A.Schema}.{polygonTable}"));
        // The bow tie is kept as it is, and reported.
        Assert.Equal(1, polygonJob.GetProperty("result").GetProperty("invalidGeometries").GetInt64());
    }

    [Fact]
    public async Task ColumnNamesAreMadeSafeUniqueAndNotReservedAndAValueThatDoesNotFitWidensItsColumn()
    {
        var csv = new StringBuilder("\"Name\",name,select,\"x\"\"; DROP TABLE jobs; --\",code,latitude,longitude\n");
        for (var i = 0; i < 1200; i++)
        {
            // code is an integer for the first 1,100 rows (past the sample the table's first types come from), then text.
            csv.Append($"a{i},b{i},c{i},d{i},{(i < 1100 ? i.ToString() : "X" + i)},1,2\n");
        }
        var table = NewTable("names");

        var job = await environment.ImportAsync(A, "names.csv", Encoding.UTF8.GetBytes(csv.ToString()), Into(table));

        Assert.True(job.GetProperty("status").GetString() == "success", job.ToString());
        var columns = job.GetProperty("result").GetProperty("columns").EnumerateArray()
            .Select(c => (c.GetProperty("name").GetString(), c.GetProperty("type").GetString())).ToList();
        Assert.Equal(["name", "name_1", "select_"], columns.Take(3).Select(c => c.Item1));
        Assert.Matches("^[a-z_][a-z0-9_]*$", columns[3].Item1!);
        Assert.Equal(("code", "text"), columns[4]);
        Assert.Equal("X1150", await environment.WarehouseScalarAsync<string>($"SELECT code FROM {A.Schema}.{table} WHERE name = 'a1150'"));
        Assert.Equal("5", await environment.WarehouseScalarAsync<string>($"SELECT code FROM {A.Schema}.{table} WHERE name = 'a5'"));
        Assert.Equal(1200, await environment.WarehouseScalarAsync<long>($"SELECT count(*) FROM {A.Schema}.{table}"));
    }

    [Fact]
    public async Task AFileIsImportedIntoAConnectionUsersAddedUnderItsOwnCredentials()
    {
        // A connection of organization A to a database of the second cluster, made as workspace-api makes one (its password
        // encrypted with the platform's keys), whose default schema is gis.
        var external = await ExternalDatabase.CreateAsync();
        var name = "pg_" + Guid.NewGuid().ToString("N")[..8];
        var settings = new PostgresConnectionSettings(external.Host, external.Port, external.Database, external.User, Npgsql.SslMode.Disable, "gis");
        Assert.NotNull(await environment.Api.Services.GetRequiredService<ConnectionStore>().CreateAsync(new ConnectionScope(A.Id, A.Slug, null),
            new ConnectionDefinition(name, settings, external.Password, StoredConnection.SharedPrivacy), TestContext.Current.CancellationToken));
        var table = NewTable("ext");

        var job = await environment.ImportAsync(A, "places.geojson", Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson(7)),
            new Dictionary<string, string> { ["destination"] = table, ["connection"] = name });

        Assert.True(job.GetProperty("status").GetString() == "success", job.ToString());
        await using var session = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ExternalDatabase.AdminConnectionString)
            { Database = external.Database }.ConnectionString);
        await session.OpenAsync(TestContext.Current.CancellationToken);
        await using var count = new NpgsqlCommand($"SELECT count(*), pg_get_userbyid(c.relowner) FROM gis.{table}, pg_class c WHERE c.oid = 'gis.{table}'::regclass GROUP BY 2", session);
        await using var reader = await count.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        // Every row, in a table the connection's login owns: the import ran under its credentials.
        Assert.Equal((7L, external.User), (reader.GetInt64(0), reader.GetString(1)));

        // A connection the organization does not have is a 404, as before.
        using var unknown = await environment.UploadAsync(A, "p.geojson", new ByteArrayContent(Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson(2))),
            new Dictionary<string, string> { ["destination"] = NewTable("none"), ["connection"] = "no_such_connection" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Theory]
    [InlineData("x\"; DROP TABLE jobs; --")]
    [InlineData("Robert'); DROP TABLE students;--")]
    [InlineData("other_schema.places")]
    [InlineData("a.b.c")]
    public async Task ADestinationThatIsNotAPlainTableNameOfItsOwnSchemaIs400(string destination)
    {
        using var response = await environment.UploadAsync(A, "places.geojson",
            new ByteArrayContent(Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson(3))), new Dictionary<string, string> { ["destination"] = destination });

        await SqlQueryApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, null);
        Assert.Equal(0, await environment.MetadataScalarAsync<long>($"SELECT count(*) FROM jobs WHERE request->>'table' LIKE '%DROP%'"));
    }

    [Fact]
    public async Task AnExistingTableIs409WithoutOverwriteAndIsReplacedWholeWithIt()
    {
        var table = NewTable("over");
        Assert.Equal("success", (await environment.ImportAsync(A, "p.geojson", Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson(10)), Into(table)))
            .GetProperty("status").GetString());

        using var conflict = await environment.UploadAsync(A, "p.geojson", new ByteArrayContent(Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson(20))), Into(table));
        await SqlQueryApiTests.AssertProblemAsync(conflict, HttpStatusCode.Conflict, null);

        var replaced = await environment.ImportAsync(A, "p.geojson", Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson(20)), Into(table, overwrite: true));
        Assert.Equal("success", replaced.GetProperty("status").GetString());
        Assert.Equal(20, await environment.WarehouseScalarAsync<long>($"SELECT count(*) FROM {A.Schema}.{table}"));

        // A failed overwrite leaves the old table as it was.
        var failed = await environment.ImportAsync(A, "p.geojson", Encoding.UTF8.GetBytes("""{"type":"FeatureCollection","features":[{"type":"Feat"""), Into(table, overwrite: true));
        Assert.Equal("failure", failed.GetProperty("status").GetString());
        Assert.Equal(20, await environment.WarehouseScalarAsync<long>($"SELECT count(*) FROM {A.Schema}.{table}"));
    }

    [Fact]
    public async Task TheNameOfTheFileNamesTheTableWhenNoDestinationIsGiven()
    {
        var name = NewTable("Named-File");
        var job = await environment.ImportAsync(A, name + ".geojson", Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson(5)));

        Assert.Equal("success", job.GetProperty("status").GetString());
        Assert.Equal(name.ToLowerInvariant().Replace('-', '_'), job.GetProperty("result").GetProperty("table").GetString());
    }

    [Fact]
    public async Task ASixthImportWhileFiveAreWaitingIs429()
    {
        var b = environment.B;
        // Five pending imports of B's, recorded without their messages so no worker takes them.
        await using (var metadata = NpgsqlDataSource.Create(environment.Metadata))
        await using (var command = metadata.CreateCommand(
            $"INSERT INTO jobs (kind, organization_id, status) SELECT 'import', '{b.Id}', 'pending' FROM generate_series(1, 5)"))
        {
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }
        try
        {
            using var response = await environment.UploadAsync(b, "p.geojson", new ByteArrayContent(Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson(3))));
            await SqlQueryApiTests.AssertProblemAsync(response, HttpStatusCode.TooManyRequests, null);
            // Organization A is not held back by B's imports.
            Assert.Equal("success", (await environment.ImportAsync(A, "p.geojson", Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson(3)), Into(NewTable("free"))))
                .GetProperty("status").GetString());
        }
        finally
        {
            await environment.MetadataScalarAsync<int>($"DELETE FROM jobs WHERE organization_id = '{b.Id}' AND status = 'pending' RETURNING 1");
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/data.geojson")]
    [InlineData("http://localhost/data.geojson")]
    [InlineData("http://10.1.2.3/data.geojson")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[::1]/x.csv")]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://example.com/x.csv")]
    public async Task AUrlImportRefusesLocalAndPrivateAddressesAndOtherSchemes(string url)
    {
        using var client = environment.ClientOf(A);
        using var response = await client.PostAsJsonAsync("/api/v3/imports", new { url, destination = NewTable("url") }, TestContext.Current.CancellationToken);

        await SqlQueryApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, null);
    }

    [Fact]
    public async Task APendingImportIsCancelledAndAnotherOrganizationCannotSeeOrCancelIt()
    {
        var id = Guid.CreateVersion7();
        await environment.MetadataScalarAsync<int>(
            $"INSERT INTO jobs (id, kind, organization_id, status, request) VALUES ('{id}', 'import', '{A.Id}', 'pending', '{{}}') RETURNING 1");
        using var other = environment.ClientOf(environment.B);
        using var owner = environment.ClientOf(A);

        using var hidden = await other.PostAsync($"/api/v3/imports/{id}/cancel", null, TestContext.Current.CancellationToken);
        using var seen = await other.GetAsync($"/api/v3/imports/{id}", TestContext.Current.CancellationToken);
        using var cancelled = await owner.PostAsync($"/api/v3/imports/{id}/cancel", null, TestContext.Current.CancellationToken);

        await SqlQueryApiTests.AssertProblemAsync(hidden, HttpStatusCode.NotFound, null);
        await SqlQueryApiTests.AssertProblemAsync(seen, HttpStatusCode.NotFound, null);
        Assert.Equal("cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ARedeliveredJobMessageDoesNotImportTwice()
    {
        var table = NewTable("twice");
        var job = await environment.ImportAsync(A, "p.geojson", Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson(50)), Into(table));
        var id = job.GetProperty("id").GetGuid();

        // The same request again, as a broker redelivering it would.
        await using (var metadata = NpgsqlDataSource.Create(environment.Metadata))
        await using (var connection = await metadata.OpenConnectionAsync(TestContext.Current.CancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken))
        {
            await OutboxWriter.EnqueueAsync(transaction, MessagingTopology.Topics.ImportJobs, new JobRequested(id, A.Id),
                cancellationToken: TestContext.Current.CancellationToken);
            await transaction.CommitAsync(TestContext.Current.CancellationToken);
        }
        await Eventually.WaitUntilAsync(async () => await environment.MetadataScalarAsync<long>(
            "SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL") == 0,
            TimeSpan.FromSeconds(20), "the message to be published", TestContext.Current.CancellationToken);
        await Task.Delay(1000, TestContext.Current.CancellationToken);

        var after = await environment.GetJobAsync(A, id);
        Assert.Equal(("success", 1), (after.GetProperty("status").GetString(), after.GetProperty("attempts").GetInt32()));
        Assert.Equal(50, await environment.WarehouseScalarAsync<long>($"SELECT count(*) FROM {A.Schema}.{table}"));
    }

    [Fact]
    public async Task APreviewShowsFormatColumnsTypesAndFirstRowsWithoutWritingAnything()
    {
        using var response = await environment.UploadAsync(A, "places.csv", new ByteArrayContent(Encoding.UTF8.GetBytes(TestFiles.PlacesCsv(30))),
            path: "/api/v3/imports/preview");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var preview = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("csv", preview.GetProperty("format").GetString());
        Assert.Equal("Point", preview.GetProperty("geometryType").GetString());
        Assert.Contains("latitude", preview.GetProperty("geometrySource").GetString());
        Assert.Equal("integer", preview.GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "population").GetProperty("type").GetString());
        Assert.Equal(10, preview.GetProperty("rows").GetArrayLength());
        Assert.Equal("Place 0", preview.GetProperty("rows")[0].GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Number, preview.GetProperty("rows")[1].GetProperty("population").ValueKind);
        Assert.Equal(1000, preview.GetProperty("rows")[1].GetProperty("population").GetInt32());
        Assert.Equal(0, await environment.MetadataScalarAsync<long>($"SELECT count(*) FROM jobs WHERE organization_id = '{A.Id}' AND request->>'fileName' = 'places.csv' AND request->>'table' IS NULL"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(environment.Storage, "previews"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task TheOrganizationsImportsAreListedNewestFirstAndBadPagingIs400()
    {
        using var client = environment.ClientOf(A);
        var first = await client.GetFromJsonAsync<JsonElement>("/api/v3/imports?pageSize=2", TestContext.Current.CancellationToken);
        using var bad = await client.GetAsync("/api/v3/imports?pageSize=1000", TestContext.Current.CancellationToken);

        var times = first.GetProperty("jobs").EnumerateArray().Select(job => job.GetProperty("createdAt").GetDateTimeOffset()).ToList();
        Assert.Equal(times.OrderDescending(), times);
        await SqlQueryApiTests.AssertProblemAsync(bad, HttpStatusCode.BadRequest, null);
    }

    [Fact]
    public async Task AUrlImportFetchesItsFileIntoObjectStorageAndImportsIt()
    {
        var bytes = Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson(40));
        using var listener = new HttpListener();
        var port = LoopbackPorts.Free();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serving = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }, TestContext.Current.CancellationToken);
        var table = NewTable("fetched");
        // Recorded as import-api records it, past its address check (which refuses loopback, as tested above).
        var job = await environment.Api.Services.GetRequiredService<JobStore>().CreateAsync(ImportJobs.Kind, A.Id, "carto_dw",
            new ImportJobRequest(null, null, $"http://127.0.0.1:{port}/data/places.geojson", A.Schema, table, false, true, null),
            MessagingTopology.Topics.ImportJobs, TestContext.Current.CancellationToken);

        var ended = await environment.WaitForEndAsync(A, job.Id);
        await serving;

        Assert.True(ended.GetProperty("status").GetString() == "success", ended.ToString());
        Assert.Equal(40, await environment.WarehouseScalarAsync<long>($"SELECT count(*) FROM {A.Schema}.{table}"));
    }

    [Fact]
    public async Task ARunningImportCancelledOnRequestRollsBackAndLeavesNoTable()
    {
        // A million points (about 100 MB), made as they are sent: long enough to be caught running.
        var features = Enumerable.Range(0, 1_000_000).Select(i =>
            $"{(i == 0 ? "" : ",\n")}{{\"type\":\"Feature\",\"properties\":{{\"n\":{i}}},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{i % 360 - 180},{i % 180 - 90}]}}}}");
        var text = "{\"type\":\"FeatureCollection\",\"features\":[\n" + string.Concat(features) + "\n]}";
        var table = NewTable("cancelled");
        using var response = await environment.UploadAsync(A, "many.geojson", new ByteArrayContent(Encoding.UTF8.GetBytes(text)), Into(table));
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetGuid();
        await Eventually.WaitUntilAsync(async () => (await environment.GetJobAsync(A, id)).GetProperty("status").GetString() != "pending",
            TimeSpan.FromSeconds(30), "the import to start", TestContext.Current.CancellationToken);

        using var client = environment.ClientOf(A);
        using var cancel = await client.PostAsync($"/api/v3/imports/{id}/cancel", null, TestContext.Current.CancellationToken);
        var job = await environment.WaitForEndAsync(A, id);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.True(await environment.WarehouseScalarAsync<bool>($"SELECT to_regclass('{A.Schema}.{table}') IS NULL"));
        Assert.Equal(0, await environment.StagingTablesAsync());
    }

    /// <summary>The worker survived: a good file still imports.</summary>
    private async Task AssertWorkerStillImportsAsync()
    {
        var job = await environment.ImportAsync(A, "ok.geojson", Encoding.UTF8.GetBytes(TestFiles.PlacesGeoJson(3)), Into(NewTable("ok")));
        Assert.Equal("success", job.GetProperty("status").GetString());
    }
}
