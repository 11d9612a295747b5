using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Sql;

namespace CartoSelfHosted.Integration.Tests.Maps;

/// <summary>
/// CARTO's widget model API (<c>/api/v3/sql/{connection}/model/{model}</c>) of maps-api over organization A's four cities
/// (Lisbon 545,000; Madrid 3,300,000; Quito 2,800,000; a fourth with no population, date or place), as
/// <c>@carto/api-client</c> sends its requests: every answer against what the same aggregate is, and what it must refuse.
/// </summary>
public sealed class WidgetModelTests(SqlEnvironment environment) : IClassFixture<SqlEnvironment>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FormulaAnswersTheAggregateOfTheTable()
    {
        Assert.Equal(4, (await RowsAsync("formula", new { column = "*", operation = "count" }))[0].GetProperty("value").GetInt64());
        Assert.Equal(6645000, (await RowsAsync("formula", new { column = "population", operation = "sum" }))[0].GetProperty("value").GetInt64());
        Assert.Equal(2215000, (await RowsAsync("formula", new { column = "population", operation = "avg" }))[0].GetProperty("value").GetDouble());
        var custom = await RowsAsync("formula", new { column = "population", operation = "custom", operationExp = "sum(population) / count(*) + 0.5" });
        Assert.Equal(1661250.5, custom[0].GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task CategoryKeepsTheFirstValuesAndSumsTheOthers()
    {
        var answer = await AnswerAsync("category", new { column = "name", operation = "sum", operationColumn = "population", othersThreshold = 1 });
        var row = Assert.Single(answer.GetProperty("rows").EnumerateArray());
        Assert.Equal("Madrid", row.GetProperty("name").GetString());
        Assert.Equal(3300000, row.GetProperty("value").GetInt64());
        Assert.Equal(545000 + 2800000, answer.GetProperty("metadata").GetProperty("others").GetInt64());

        var alphabetical = await RowsAsync("category", new { column = "name", operation = "count", orderBy = "alphabetical_desc" });
        Assert.Equal(["Quito", "Nowhere, \"Quoted\"", "Madrid", "Lisbon"], alphabetical.Select(item => item.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task HistogramBinsByTheTicksAndLeavesNullsOut()
    {
        var rows = await RowsAsync("histogram", new { column = "population", operation = "count", ticks = new[] { 1000000, 3000000 } });
        Assert.Equal([(0, 1L), (1, 1L), (2, 1L)], rows.Select(row => (row.GetProperty("tick").GetInt32(), row.GetProperty("value").GetInt64())));
    }

    [Fact]
    public async Task RangeScatterplotTableAndAggregationsAnswerTheirShapes()
    {
        var range = (await RowsAsync("range", new { column = "population" }))[0];
        Assert.Equal((545000, 3300000), (range.GetProperty("min").GetInt32(), range.GetProperty("max").GetInt32()));

        Assert.Equal(3, (await RowsAsync("scatterplot", new { xAxisColumn = "population", yAxisColumn = "population" })).Count);

        var table = await AnswerAsync("table", new { column = new[] { "name", "population" }, sortBy = "population", sortDirection = "desc", limit = 2, offset = 0 });
        Assert.Equal(["Madrid", "Quito"], table.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("name").GetString()));
        Assert.Equal(4, table.GetProperty("metadata").GetProperty("total").GetInt64());

        var aggregations = (await RowsAsync("aggregations", new { aggregations = "sum(population) AS total, max(population) as biggest" }))[0];
        Assert.Equal((6645000L, 3300000), (aggregations.GetProperty("total").GetInt64(), aggregations.GetProperty("biggest").GetInt32()));
        var listed = (await RowsAsync("aggregations", new { aggregations = new[] { new { column = "population", operation = "min", alias = "smallest" } } }))[0];
        Assert.Equal(545000, listed.GetProperty("smallest").GetInt32());
    }

    [Fact]
    public async Task TimeSeriesCountsPerStepFromItsStart()
    {
        // Madrid 865, Lisbon 1147, Quito 1534: steps of 500 years from year 0.
        var centuries = await RowsAsync("timeseries", new { column = "founded", stepSize = "year", stepMultiplier = 500, operation = "count" });
        Assert.Equal(["0500-01-01T00:00:00.000Z:1", "1000-01-01T00:00:00.000Z:1", "1500-01-01T00:00:00.000Z:1"],
            centuries.Select(row => $"{row.GetProperty("name").GetString()}:{row.GetProperty("value").GetInt64()}"));
        var months = await RowsAsync("timeseries", new { column = "founded", stepSize = "month", operation = "sum", operationColumn = "population" });
        Assert.Equal([("0865-01-01T00:00:00.000Z", 3300000L), ("1147-10-01T00:00:00.000Z", 545000L), ("1534-12-01T00:00:00.000Z", 2800000L)],
            months.Select(row => (row.GetProperty("name").GetString(), row.GetProperty("value").GetInt64())));
        // Weeks start on Monday: 1534-12-06 was a Thursday (proleptic Gregorian, as PostgreSQL counts), its week from Monday the 3rd.
        var week = Assert.Single(await RowsAsync("timeseries", new { column = "founded", stepSize = "week", operation = "count" },
            """{"name": {"in": {"values": ["Quito"]}}}"""));
        Assert.Equal("1534-12-03T00:00:00.000Z", week.GetProperty("name").GetString());
    }

    [Fact]
    public async Task ATimeSeriesSplitByCategoryHasASeriesPerValueOfTheMostFrequentOrOfThoseGiven()
    {
        // Every city is one row: the two most frequent names are the first two in order (Nowhere has no date, but is a name).
        var top = await AnswerAsync("timeseries", new
        {
            column = "founded", stepSize = "year", stepMultiplier = 500, operation = "count", splitByCategory = "name", splitByCategoryLimit = 2,
        });
        Assert.Equal(["Lisbon", "Madrid"], top.GetProperty("metadata").GetProperty("categories").EnumerateArray().Select(category => category.GetString()));
        Assert.Equal(["0500-01-01T00:00:00.000Z Madrid 1", "1000-01-01T00:00:00.000Z Lisbon 1"], top.GetProperty("rows").EnumerateArray()
            .Select(row => $"{row.GetProperty("name").GetString()} {row.GetProperty("category").GetString()} {row.GetProperty("value").GetInt64()}"));

        var given = await AnswerAsync("timeseries", new
        {
            column = "founded", stepSize = "year", stepMultiplier = 500, operation = "sum", operationColumn = "population", splitByCategory = "name",
            splitByCategoryValues = new[] { "Quito", "Lisbon" },
        });
        Assert.Equal(["Quito", "Lisbon"], given.GetProperty("metadata").GetProperty("categories").EnumerateArray().Select(category => category.GetString()));
        Assert.Equal(["1000-01-01T00:00:00.000Z Lisbon 545000", "1500-01-01T00:00:00.000Z Quito 2800000"], given.GetProperty("rows").EnumerateArray()
            .Select(row => $"{row.GetProperty("name").GetString()} {row.GetProperty("category").GetString()} {row.GetProperty("value").GetInt64()}"));
    }

    [Theory]
    [InlineData("""{"column": "name", "stepSize": "year"}""", "date or timestamp")]
    [InlineData("""{"column": "founded", "stepSize": "fortnight"}""", "stepSize")]
    [InlineData("""{"column": "founded", "stepSize": "day", "stepMultiplier": 0}""", "stepMultiplier")]
    [InlineData("""{"column": "founded", "stepSize": "day", "splitByCategory": "name", "splitByCategoryLimit": 0}""", "splitByCategoryLimit")]
    [InlineData("""{"column": "founded", "stepSize": "day", "splitByCategory": "no_such_column"}""", "no_such_column")]
    public async Task BadTimeSeriesAreProblems(string parameters, string detail)
    {
        var response = await GetAsync("timeseries", JsonDocument.Parse(parameters).RootElement);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detail, await response.Content.ReadAsStringAsync(Cancellation));
    }

    [Theory]
    [InlineData("""{"name": {"in": {"values": ["Lisbon", "Madrid"], "owner": "w1"}}}""", null, 2)]
    [InlineData("""{"population": {"between": {"values": [[1000000, null]]}}}""", null, 2)]
    [InlineData("""{"population": {"closed_open": {"values": [[545000, 2800000]]}}}""", null, 1)]
    [InlineData("""{"name": {"stringSearch": {"values": ["QU"]}}}""", null, 2)]
    [InlineData("""{"name": {"stringSearch": {"values": ["qu"], "params": {"mustStart": true, "caseSensitive": true}}}}""", null, 0)]
    [InlineData("""{"name": {"stringSearch": {"values": ["^L.*n$"], "params": {"useRegExp": true}}}}""", null, 1)]
    // Quito's founding, 1534-12-06, between 1500 and 1600 (epoch milliseconds).
    [InlineData("""{"founded": {"time": {"values": [[-14831769600000, -11676096000000]]}}}""", null, 1)]
    [InlineData("""{"name": {"in": {"values": ["Lisbon"]}}, "population": {"between": {"values": [[3000000, 4000000]]}}}""", "or", 2)]
    [InlineData("""{"name": {"in": {"values": ["Lisbon"]}}, "population": {"between": {"values": [[3000000, 4000000]]}}}""", "and", 0)]
    public async Task FiltersKeepTheRowsCartoKeeps(string filters, string? logicalOperator, int count)
    {
        var rows = await RowsAsync("formula", new { column = "*", operation = "count" }, filters, logicalOperator);
        Assert.Equal(count, rows[0].GetProperty("value").GetInt64());
    }

    [Fact]
    public async Task ASpatialFilterKeepsTheRowsInItsPolygons()
    {
        const string iberia = """{"type": "Polygon", "coordinates": [[[-10, 36], [4, 36], [4, 44], [-10, 44], [-10, 36]]]}""";
        var inIberia = await RowsAsync("category", new { column = "name", operation = "count" }, spatialFilters: $$"""{"geom": {{iberia}}}""");
        Assert.Equal(["Lisbon", "Madrid"], inIberia.Select(row => row.GetProperty("name").GetString()).Order());

        // Across the antimeridian, as the client sends a viewport over it: nothing there but the Pacific.
        const string pacific = """{"type": "MultiPolygon", "coordinates": [[[[170, -10], [180, -10], [180, 10], [170, 10], [170, -10]]], [[[-180, -10], [-170, -10], [-170, 10], [-180, 10], [-180, -10]]]]}""";
        Assert.Empty(await RowsAsync("category", new { column = "name", operation = "count" }, spatialFilters: $$"""{"geom": {{pacific}}}"""));
    }

    [Fact]
    public async Task AQuerySourceTakesItsParametersAndAPostTheSameBody()
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.PostAsJsonAsync("/api/v3/sql/carto_dw/model/formula", new
        {
            type = "query", client = "deck-gl-carto", source = "SELECT * FROM cities WHERE population > $1", queryParameters = new[] { 1000000 },
            @params = new { column = "population", operation = "max" }, filters = new { }, filtersLogicalOperator = "and",
        }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(3300000, answer.GetProperty("rows")[0].GetProperty("value").GetInt32());
    }

    [Fact]
    public async Task PickAnswersTheRowsOfATilesFeaturesInTheOrderOfTheirIds()
    {
        var ids = await CityIdsAsync();
        var pick = new
        {
            columns = new[] { "name", "population", "_carto_feature_id" }, dataType = "points", featureIds = new[] { ids["Quito"], ids["Lisbon"] },
            z = 0, limit = 1000, tileResolution = 0.5,
        };
        var answer = await AnswerAsync("pick", pick);
        Assert.Equal(2, answer.GetProperty("metadata").GetProperty("total").GetInt64());
        var rows = answer.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["Quito", "Lisbon"], rows.Select(row => row.GetProperty("name").GetString()));
        Assert.Equal([ids["Quito"], ids["Lisbon"]], rows.Select(row => row.GetProperty("_carto_feature_id").GetString()));
        foreach (var row in rows)
        {
            Assert.Equal(await environment.WarehouseScalarAsync<int>(
                    $"SELECT population FROM {environment.A.Schema}.cities WHERE name = '{row.GetProperty("name").GetString()}'"),
                row.GetProperty("population").GetInt32());
        }

        // A page of them, and the total of all.
        var second = await AnswerAsync("pick", new { pick.columns, pick.dataType, pick.featureIds, pick.z, limit = 1, offset = 1 });
        Assert.Equal(["Lisbon"], second.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("name").GetString()));
        Assert.Equal(2, second.GetProperty("metadata").GetProperty("total").GetInt64());
        // Filters and spatial filters apply as to every model.
        var filtered = await AnswerAsync("pick", pick, """{"name": {"in": {"values": ["Lisbon", "Madrid"]}}}""");
        Assert.Equal(["Lisbon"], filtered.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("name").GetString()));
        Assert.Equal(1, filtered.GetProperty("metadata").GetProperty("total").GetInt64());
        const string iberia = """{"type": "Polygon", "coordinates": [[[-10, 36], [4, 36], [4, 44], [-10, 44], [-10, 36]]]}""";
        var inIberia = await AnswerAsync("pick", pick, spatialFilters: $$"""{"geom": {{iberia}}}""");
        Assert.Equal(["Lisbon"], inIberia.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task PickFindsATablesFeaturesInAQueryOfItsRowsAndKeepsItsColumnsNames()
    {
        var ids = await CityIdsAsync();
        using var client = environment.ClientOf(environment.A);
        var response = await client.PostAsJsonAsync("/api/v3/sql/carto_dw/model/pick", new
        {
            type = "query", client = "deck-gl-carto", source = """SELECT name AS "CityName", geom AS "Where" FROM cities WHERE population > $1""",
            queryParameters = new[] { 1000000 }, spatialDataColumn = "Where", filters = new { }, filtersLogicalOperator = "and",
            @params = new { columns = new[] { "CityName" }, dataType = "points", featureIds = new[] { ids["Madrid"], ids["Lisbon"] }, z = 3 },
        }, Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancellation));
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        // Lisbon has fewer people than the query keeps.
        var row = Assert.Single(answer.GetProperty("rows").EnumerateArray());
        Assert.Equal("Madrid", row.GetProperty("CityName").GetString());
        Assert.Equal(1, answer.GetProperty("metadata").GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task FeatureIdsKeepOnlyThoseFeaturesRowsInEveryModel()
    {
        var ids = await CityIdsAsync();
        var selected = new { column = "population", operation = "sum", featureIds = new[] { ids["Madrid"], ids["Quito"] }, geometryType = "points" };
        Assert.Equal(3300000 + 2800000, (await RowsAsync("formula", selected))[0].GetProperty("value").GetInt64());
        var categories = await RowsAsync("category", new { column = "name", operation = "count", selected.featureIds, selected.geometryType });
        Assert.Equal(["Madrid", "Quito"], categories.Select(row => row.GetProperty("name").GetString()).Order());
    }

    [Theory]
    [InlineData("pick", """{"columns": ["name"], "dataType": "points", "featureIds": "abc"}""", "featureIds")]
    [InlineData("pick", """{"columns": ["name"], "dataType": "points", "featureIds": [1, 2]}""", "featureIds")]
    [InlineData("pick", """{"columns": ["name"], "dataType": "points"}""", "featureIds")]
    [InlineData("pick", """{"columns": ["name"], "dataType": "hexagons", "featureIds": ["a"]}""", "dataType")]
    [InlineData("pick", """{"columns": ["name"], "featureIds": ["a"]}""", "dataType")]
    [InlineData("pick", """{"dataType": "points", "featureIds": ["a"]}""", "columns")]
    [InlineData("pick", """{"columns": ["no_such_column"], "dataType": "points", "featureIds": ["a"]}""", "Column not found")]
    [InlineData("pick", """{"columns": ["name"], "dataType": "points", "featureIds": ["a"], "limit": 5000}""", "limit")]
    [InlineData("pick", """{"columns": ["name"], "dataType": "points", "featureIds": ["a"], "z": "deep"}""", "z")]
    [InlineData("formula", """{"column": "*", "featureIds": ["a"]}""", "geometryType")]
    public async Task BadFeatureSelectionsAreProblems(string model, string parameters, string detail)
    {
        var response = await GetAsync(model, JsonDocument.Parse(parameters).RootElement);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detail, await response.Content.ReadAsStringAsync(Cancellation));
    }

    [Fact]
    public async Task AThousandAndOneFeatureIdsOrAGeometryColumnThatIsNoneAreProblems()
    {
        var tooMany = await GetAsync("pick", new { columns = new[] { "name" }, dataType = "points", featureIds = Enumerable.Range(0, 1001).Select(i => $"{i:x}") });
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("at most 1000", await tooMany.Content.ReadAsStringAsync(Cancellation));

        using var client = environment.ClientOf(environment.A);
        var notGeometry = await client.GetAsync("/api/v3/sql/carto_dw/model/pick?type=table&source=cities&spatialDataColumn=name&filters=%7B%7D&params=" +
            Uri.EscapeDataString("""{"columns": ["name"], "dataType": "points", "featureIds": ["a"]}"""), Cancellation);
        Assert.Equal(HttpStatusCode.BadRequest, notGeometry.StatusCode);
        Assert.Contains("not a geometry", await notGeometry.Content.ReadAsStringAsync(Cancellation));
    }

    /// <summary>The cities' <c>_carto_feature_id</c>s, by name, as the z0 tile of their table source carries them.</summary>
    private async Task<Dictionary<string, string>> CityIdsAsync()
    {
        using var client = environment.ClientOf(environment.A);
        var template = await MapsApiTests.TemplateAsync(client, "table", "name=cities");
        return (await MapsApiTests.TileFeaturesAsync(client, template, 0, 0, 0))
            .ToDictionary(feature => (string)feature.Properties["name"], feature => (string)feature.Properties["_carto_feature_id"]);
    }

    [Fact]
    public async Task AnUnknownColumnIsCartosColumnNotFound()
    {
        var response = await GetAsync("formula", new { column = "no_such_column", operation = "sum" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal("Column not found", problem.GetProperty("error").GetString());
        Assert.Equal("no_such_column", problem.GetProperty("column_name").GetString());
    }

    [Fact]
    public async Task ATablesColumnsChangedBetweenTwoWidgetsAreTheNewOnesAtOnce()
    {
        // Both widgets ask through the same pooled connections, where the first one's description is kept.
        await environment.AsOrganizationAsync(environment.A, "CREATE TABLE reshaped (v int); INSERT INTO reshaped VALUES (1), (2)");
        Assert.Equal(3, (await RowsAsync("formula", new { column = "v", operation = "sum" }, source: "reshaped"))[0].GetProperty("value").GetInt64());

        await environment.AsOrganizationAsync(environment.A, "ALTER TABLE reshaped ADD COLUMN w int; UPDATE reshaped SET w = 10 * v");
        Assert.Equal(30, (await RowsAsync("formula", new { column = "w", operation = "sum" }, source: "reshaped"))[0].GetProperty("value").GetInt64());

        await environment.AsOrganizationAsync(environment.A, "ALTER TABLE reshaped RENAME COLUMN v TO renamed");
        var gone = await GetAsync("formula", new { column = "v", operation = "sum" }, source: "reshaped");
        Assert.Equal(HttpStatusCode.BadRequest, gone.StatusCode);
        Assert.Equal("Column not found", (await gone.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("error").GetString());
        Assert.Equal(3, (await RowsAsync("formula", new { column = "renamed", operation = "sum" }, source: "reshaped"))[0].GetProperty("value").GetInt64());
    }

    [Theory]
    [InlineData("sum(population)); drop table cities; --")]
    [InlineData("sum(population); DELETE FROM cities")]
    [InlineData("pg_sleep(10)")]
    [InlineData("sum((SELECT 1))")]
    [InlineData("sum('1')")]
    [InlineData("population")]
    [InlineData("sum(sum(population))")]
    public async Task AnExpressionThatIsNotAnAggregateOverColumnsIsRefusedAndRunsNothing(string expression)
    {
        var response = await GetAsync("formula", new { column = "population", operation = "custom", operationExp = expression });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(4, await environment.WarehouseScalarAsync<long>($"SELECT count(*) FROM {environment.A.Schema}.cities"));
    }

    [Theory]
    [InlineData("formula", "table", "cities", """{"column": "*"}""", "{}", 400, "no_such_model")]
    [InlineData("formula", "view", "cities", """{"column": "*"}""", "{}", 400, "type")]
    [InlineData("formula", "table", "secrets", """{"column": "*"}""", "{}", 404, "secrets")]
    [InlineData("formula", "table", "cities", """{"column": "*", "operation": "median"}""", "{}", 400, "median")]
    [InlineData("formula", "table", "cities", "not json", "{}", 400, "params")]
    [InlineData("formula", "table", "cities", """{"column": "*"}""", """{"name": {"like": {"values": ["a"]}}}""", 400, "like")]
    [InlineData("formula", "table", "cities", """{"column": "*"}""", """{"name": {"in": {}}}""", 400, "values")]
    [InlineData("histogram", "table", "cities", """{"column": "population", "ticks": [3, 1]}""", "{}", 400, "ascending")]
    [InlineData("table", "table", "cities", """{"column": ["name"], "limit": 100000}""", "{}", 400, "limit")]
    [InlineData("formula", "query", "SELECT * FROM cities; DROP TABLE cities", """{"column": "*"}""", "{}", 400, "")]
    public async Task BadRequestsAreProblems(string model, string type, string source, string parameters, string filters, int status, string detail)
    {
        using var client = environment.ClientOf(environment.A);
        var path = model == "formula" && detail == "no_such_model" ? "no_such_model" : model;
        var response = await client.GetAsync($"/api/v3/sql/carto_dw/model/{path}?type={type}&source={Uri.EscapeDataString(source)}" +
            $"&params={Uri.EscapeDataString(parameters)}&queryParameters=&filters={Uri.EscapeDataString(filters)}", Cancellation);
        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        Assert.Contains(detail, await response.Content.ReadAsStringAsync(Cancellation), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(4, await environment.WarehouseScalarAsync<long>($"SELECT count(*) FROM {environment.A.Schema}.cities"));
    }

    [Fact]
    public async Task ABadSpatialFilterIsAProblem()
    {
        var response = await GetAsync("formula", new { column = "*" }, spatialFilters: """{"geom": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Polygon", await response.Content.ReadAsStringAsync(Cancellation));
    }

    private async Task<HttpResponseMessage> GetAsync(string model, object parameters, string filters = "{}", string? logicalOperator = null,
        string? spatialFilters = null, string source = "cities")
    {
        using var client = environment.ClientOf(environment.A);
        var url = $"/api/v3/sql/carto_dw/model/{model}?type=table&client=deck-gl-carto&source={source}" +
            $"&params={Uri.EscapeDataString(JsonSerializer.Serialize(parameters))}&queryParameters=&filters={Uri.EscapeDataString(filters)}" +
            (logicalOperator is null ? "" : $"&filtersLogicalOperator={logicalOperator}") +
            (spatialFilters is null ? "" : $"&spatialDataType=geo&spatialDataColumn=geom&spatialFilters={Uri.EscapeDataString(spatialFilters)}");
        return await client.GetAsync(url, Cancellation);
    }

    private async Task<JsonElement> AnswerAsync(string model, object parameters, string filters = "{}", string? logicalOperator = null,
        string? spatialFilters = null, string source = "cities")
    {
        var response = await GetAsync(model, parameters, filters, logicalOperator, spatialFilters, source);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancellation));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
    }

    private async Task<List<JsonElement>> RowsAsync(string model, object parameters, string filters = "{}", string? logicalOperator = null,
        string? spatialFilters = null, string source = "cities") =>
        (await AnswerAsync(model, parameters, filters, logicalOperator, spatialFilters, source)).GetProperty("rows").EnumerateArray().ToList();
}
