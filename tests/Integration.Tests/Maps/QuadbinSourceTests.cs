using System.Net;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using CartoSelfHosted.Integration.Tests.Sql;
using CartoSelfHosted.MapsApi.Maps.SpatialTiles;
using CartoSelfHosted.Platform.Tiles;
using static CartoSelfHosted.Integration.Tests.Maps.MapsApiTests;

namespace CartoSelfHosted.Integration.Tests.Maps;

/// <summary>
/// Quadbin sources (<c>spatialDataType=quadbin</c>) against a real warehouse: points binned into cells as tiles are made,
/// a column of cells aggregated to each tile's resolution, each cell's aggregates equal to what the same grouping computes
/// here from the rows, filters, and what must be refused. The tiles are CARTO's spatial tiles; that deck.gl reads them is
/// AppHost.Tests' DeckGlPageTests.
/// </summary>
public sealed class QuadbinSourceTests(SqlEnvironment environment) : IClassFixture<SqlEnvironment>
{
    private const string World = "480fffffffffffff";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>600 points over the world (no two in one cell below resolution 3 by chance alone), each with a value.</summary>
    private static readonly IReadOnlyList<(double Lon, double Lat, int Value)> Points =
        Enumerable.Range(0, 600).Select(i => (-179.5 + i * 359.0 / 600, -80 + (i * 37 % 160) + 0.25, i % 7)).ToList();

    [Theory]
    [InlineData("table")]
    [InlineData("query")]
    public async Task PointsAreBinnedIntoTheCellsOfEachTileWithTheirAggregates(string kind)
    {
        var table = await PointsTableAsync();
        using var client = environment.ClientOf(environment.A);
        var source = kind == "table" ? "name=" + table : "q=" + Uri.EscapeDataString($"SELECT * FROM {table}");
        var map = await InstantiateAsync(client, kind,
            source + "&spatialDataType=quadbin&spatialDataColumn=geom&aggregationResLevel=4&aggregationExp=" +
            Uri.EscapeDataString("count(*) AS n, sum(value) AS total, max(value) * 2 AS twice_max"));
        Assert.Equal(Points.Count, map.GetProperty("nrows").GetInt64());
        Assert.True(map.TryGetProperty("geojson", out _), "points binned into cells are still geometries");

        var tileJson = await client.GetFromJsonAsync<JsonElement>(map.GetProperty("tilejson").GetProperty("url")[0].GetString()!, Cancellation);
        Assert.Equal("quadbin", tileJson.GetProperty("scheme").GetString());
        var template = tileJson.GetProperty("tiles")[0].GetString()!;
        Assert.Contains("/{i}?cache=", template);
        Assert.Equal(Quadbin.MaxResolution, tileJson.GetProperty("dataresolution").GetInt32());
        Assert.Equal(Quadbin.MaxResolution - 4, tileJson.GetProperty("maxresolution").GetInt32());

        // The world's tile: cells of resolution 4, together every point.
        var world = await CellsAsync(client, template, World);
        Assert.Equal(ExpectedCells(Points, 4), world.ToDictionary(cell => cell.Id, cell => (cell.Numbers["n"], cell.Numbers["total"])));
        Assert.All(world, cell => Assert.Equal(4, Quadbin.Resolution(cell.Id)));
        Assert.Equal(Points.Count, world.Sum(cell => cell.Numbers["n"]));
        var busiest = world.MaxBy(cell => cell.Numbers["n"])!;
        Assert.Equal(2 * Points.Where(point => PointCell(point, 4) == busiest.Id).Max(point => point.Value), busiest.Numbers["twice_max"]);

        // A tile of resolution 2: only its own points, in cells of resolution 6.
        var (_, x, y) = Quadbin.ToTile(busiest.Id);
        var tile = Quadbin.FromTile(2, x >> 2, y >> 2);
        var inTile = Points.Where(point => PointCell(point, 2) == tile).ToList();
        var cells = await CellsAsync(client, template, Quadbin.ToHex(tile));
        Assert.Equal(ExpectedCells(inTile, 6), cells.ToDictionary(cell => cell.Id, cell => (cell.Numbers["n"], cell.Numbers["total"])));
    }

    [Fact]
    public async Task AColumnOfCellsIsAggregatedToEachTilesResolution()
    {
        var table = "cells_" + Guid.NewGuid().ToString("N")[..8];
        // One row per point, its cell of resolution 10 in the column "quadbin" (the default), with a value and a label.
        var rows = Points.Select((point, i) => (Cell: PointCell(point, 10), point.Value, Label: "label" + (i % 3))).ToList();
        await environment.AsOrganizationAsync(environment.A, $"""
            CREATE TABLE {table} (quadbin bigint, value int, label text);
            INSERT INTO {table} VALUES {string.Join(", ", rows.Select(row => $"({row.Cell}, {row.Value}, '{row.Label}')"))};
            CREATE INDEX ON {table} (quadbin);
            """);
        using var client = environment.ClientOf(environment.A);
        var map = await InstantiateAsync(client, "table",
            $"name={table}&spatialDataType=quadbin&aggregationResLevel=3&aggregationExp=" + Uri.EscapeDataString("sum(value) AS total, max(label) AS top"));
        Assert.Equal(["label:string", "quadbin:bigint", "value:number"],
            map.GetProperty("schema").EnumerateArray().Select(field => $"{field.GetProperty("name")}:{field.GetProperty("type")}").Order());
        Assert.False(map.TryGetProperty("geojson", out _), "a source of cells has no geometries");
        var tileJson = await client.GetFromJsonAsync<JsonElement>(map.GetProperty("tilejson").GetProperty("url")[0].GetString()!, Cancellation);
        Assert.Equal(10, tileJson.GetProperty("dataresolution").GetInt32());
        Assert.Equal(7, tileJson.GetProperty("maxresolution").GetInt32());
        var template = tileJson.GetProperty("tiles")[0].GetString()!;

        // A tile of resolution 2 holds its rows' ancestors of resolution 5, each with its rows' sum and greatest label.
        var tile = Quadbin.FromTile(2, 1, 1);
        var expected = rows.Where(row => Ancestor(row.Cell, 2) == tile).GroupBy(row => Ancestor(row.Cell, 5))
            .ToDictionary(group => group.Key, group => ((double)group.Sum(row => row.Value), group.Max(row => row.Label)!));
        Assert.NotEmpty(expected);
        var cells = await CellsAsync(client, template, Quadbin.ToHex(tile));
        Assert.Equal(expected, cells.ToDictionary(cell => cell.Id, cell => (cell.Numbers["total"], cell.Texts["top"])));

        // Deeper than maxresolution, cells stop at the data's own; deeper than the data, a tile holds none.
        var deep = Ancestor(rows[0].Cell, 9);
        var deepCells = await CellsAsync(client, template, Quadbin.ToHex(deep));
        Assert.Equal([rows[0].Cell], deepCells.Select(cell => cell.Id));
        var deeper = await client.GetAsync(template.Replace("{i}", Quadbin.ToHex(Quadbin.FromTile(11, 0, 0))), Cancellation);
        Assert.Equal(HttpStatusCode.NoContent, deeper.StatusCode);
        await AssertProblemAsync(await client.GetAsync(map.GetProperty("tilejson").GetProperty("url")[0].GetString()!
            .Replace("/tilejson?", "/geojson?"), Cancellation), 400, "GeoJSON");
    }

    [Theory]
    [InlineData("center")]
    [InlineData("intersects")]
    [InlineData("contains")]
    public async Task AWidgetOverAColumnOfCellsKeepsTheCellsItsPolygonTakesAsItsModeSays(string mode)
    {
        // Cells of resolution 4 (22.5° wide), and a box whose edges cut through them: each mode keeps other cells.
        var (table, rows) = await CellsTableAsync(4);
        var (west, south, east, north) = (-30.0, -10.0, 50.0, 40.0);
        var box = $$"""{"type": "Polygon", "coordinates": [[[{{west}}, {{south}}], [{{east}}, {{south}}], [{{east}}, {{north}}], [{{west}}, {{north}}], [{{west}}, {{south}}]]]}""";
        var kept = rows.Where(row =>
        {
            // In Web Mercator, as fractions of the world from the west and the north: the cell's square and the box's.
            var (z, x, y) = Quadbin.ToTile(row.Cell);
            var (left, right, top, bottom) = (x / Math.Pow(2, z), (x + 1) / Math.Pow(2, z), y / Math.Pow(2, z), (y + 1) / Math.Pow(2, z));
            var (boxLeft, boxRight, boxTop, boxBottom) = ((west + 180) / 360, (east + 180) / 360, MercatorY(north), MercatorY(south));
            return mode switch
            {
                "center" => (left + right) / 2 > boxLeft && (left + right) / 2 < boxRight && (top + bottom) / 2 > boxTop && (top + bottom) / 2 < boxBottom,
                "intersects" => left < boxRight && right > boxLeft && top < boxBottom && bottom > boxTop,
                _ => left >= boxLeft && right <= boxRight && top >= boxTop && bottom <= boxBottom,
            };
        }).ToList();
        Assert.NotEmpty(kept);

        var formula = await WidgetAsync(table, $$"""{"quadbin": {{box}}}""", mode);
        Assert.Equal(kept.Sum(row => row.Value), formula.GetProperty("rows")[0].GetProperty("value").GetInt64());
    }

    [Fact]
    public async Task AWidgetOverAColumnOfCellsKeepsTheCellsSelectedAndRefusesWhatIsNoSelection()
    {
        var (table, rows) = await CellsTableAsync(6);
        var chosen = rows.Select(row => row.Cell).Distinct().Take(3).ToList();
        var selection = JsonSerializer.Serialize(new { quadbin = new { indexes = chosen.Select(Quadbin.ToHex), type = "quadbin" } });
        var formula = await WidgetAsync(table, selection, mode: null);
        Assert.Equal(rows.Where(row => chosen.Contains(row.Cell)).Sum(row => row.Value), formula.GetProperty("rows")[0].GetProperty("value").GetInt64());

        using var client = environment.ClientOf(environment.A);
        foreach (var (spatialFilters, mode, detail) in new[]
        {
            ("""{"quadbin": {"indexes": ["not a cell"], "type": "quadbin"}}""", "", "not a cell"),
            ("""{"quadbin": {"indexes": "480fffffffffffff", "type": "quadbin"}}""", "", "array"),
            ("""{"value": {"indexes": ["480fffffffffffff"], "type": "quadbin"}}""", "", "quadbin cells"),
            ("""{"quadbin": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}""", "&spatialFiltersMode=nearby", "nearby"),
        })
        {
            var response = await client.GetAsync(WidgetUrl(table, spatialFilters) + mode, Cancellation);
            await AssertProblemAsync(response, 400, detail);
        }
    }

    [Fact]
    public async Task FiltersOfAQuadbinSourceKeepOnlyTheirRowsInItsCells()
    {
        var table = await PointsTableAsync();
        using var client = environment.ClientOf(environment.A);
        var filters = """{"value": {"between": {"values": [[2, 4]]}}}""";
        var map = await InstantiateAsync(client, "table",
            $"name={table}&spatialDataType=quadbin&spatialDataColumn=geom&aggregationResLevel=3&aggregationExp=count(*)%20AS%20n&filters=" +
            Uri.EscapeDataString(filters));
        var template = (await client.GetFromJsonAsync<JsonElement>(map.GetProperty("tilejson").GetProperty("url")[0].GetString()!, Cancellation))
            .GetProperty("tiles")[0].GetString()!;

        var kept = Points.Where(point => point.Value is >= 2 and <= 4).ToList();
        var cells = await CellsAsync(client, template, World);
        Assert.Equal(ExpectedCells(kept, 3).ToDictionary(cell => cell.Key, cell => cell.Value.Count),
            cells.ToDictionary(cell => cell.Id, cell => cell.Numbers["n"]));
    }

    [Theory]
    [InlineData("spatialDataColumn=geom", 400, "aggregationExp")]
    [InlineData("spatialDataColumn=geom&aggregationExp=sum(value))%3B%20drop%20table%20{table}%3B%20--", 400, "Invalid expression")]
    [InlineData("spatialDataColumn=geom&aggregationExp=sum(no_such_column)", 400, "Column not found")]
    [InlineData("spatialDataColumn=geom&aggregationExp=value", 400, "aggregate")]
    [InlineData("spatialDataColumn=geom&aggregationExp=count(*)&aggregationResLevel=11", 400, "aggregationResLevel")]
    [InlineData("spatialDataColumn=geom&aggregationExp=count(*)&aggregationResLevel=-1", 400, "aggregationResLevel")]
    [InlineData("spatialDataColumn=label&aggregationExp=count(*)", 400, "quadbin cells")]
    [InlineData("aggregationExp=count(*)", 400, "'quadbin'")]
    public async Task BadQuadbinInstantiationsAreProblemsAndDropNothing(string parameters, int status, string detail)
    {
        var table = await PointsTableAsync();
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync(
            $"/api/v3/maps/carto_dw/table?name={table}&spatialDataType=quadbin&" + parameters.Replace("{table}", table), Cancellation);
        await AssertProblemAsync(response, status, detail);
        Assert.Equal(Points.Count, await environment.WarehouseScalarAsync<long>($"SELECT count(*) FROM \"{environment.A.Schema}\".{table}"));
    }

    [Fact]
    public async Task H3IsRefusedWithWhatItWouldNeed()
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync("/api/v3/maps/carto_dw/table?name=cities&spatialDataType=h3&aggregationExp=count(*)", Cancellation);
        await AssertProblemAsync(response, 400, "H3");
    }

    [Fact]
    public async Task ATileIsACellOfItsSourcesKind()
    {
        var table = await PointsTableAsync();
        using var client = environment.ClientOf(environment.A);
        var quadbin = await TemplateAsync(client, "table", $"name={table}&spatialDataType=quadbin&spatialDataColumn=geom&aggregationExp=count(*)");
        var vector = await TemplateAsync(client, "table", $"name={table}");

        foreach (var notACell in new[] { "480ffffffffffffe", "400fffffffffffff", "zz", "49bfffffffffffff" })
        {
            await AssertProblemAsync(await client.GetAsync(quadbin.Replace("{i}", notACell), Cancellation), 400, notACell);
        }
        await AssertProblemAsync(await client.GetAsync(quadbin.Replace("{i}", "0/0/0"), Cancellation), 400, "quadbin");
        var sourceUrl = vector[..vector.IndexOf("/{z}", StringComparison.Ordinal)];
        await AssertProblemAsync(await client.GetAsync($"{sourceUrl}/{World}", Cancellation), 400, "vector tiles");
    }

    /// <summary>A table of the points' cells at <paramref name="resolution"/> (column "quadbin"), each with the point's value.</summary>
    private async Task<(string Table, List<(long Cell, int Value)> Rows)> CellsTableAsync(int resolution)
    {
        var table = "cells_" + Guid.NewGuid().ToString("N")[..8];
        var rows = Points.Select(point => (Cell: PointCell(point, resolution), point.Value)).ToList();
        await environment.AsOrganizationAsync(environment.A, $"""
            CREATE TABLE {table} (quadbin bigint, value int);
            INSERT INTO {table} VALUES {string.Join(", ", rows.Select(row => $"({row.Cell}, {row.Value})"))};
            """);
        return (table, rows);
    }

    /// <summary>The URL of a formula widget (the sum of value) over a table of cells, as the client asks for a quadbin source.</summary>
    private static string WidgetUrl(string table, string spatialFilters) =>
        $"/api/v3/sql/carto_dw/model/formula?type=table&client=deck-gl-carto&source={table}" +
        $"&params={Uri.EscapeDataString("""{"column": "value", "operation": "sum"}""")}&queryParameters=&filters=%7B%7D" +
        $"&spatialDataType=quadbin&spatialDataColumn=quadbin&spatialFilters={Uri.EscapeDataString(spatialFilters)}";

    private async Task<JsonElement> WidgetAsync(string table, string spatialFilters, string? mode)
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync(WidgetUrl(table, spatialFilters) + (mode is null ? "" : "&spatialFiltersMode=" + mode), Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancellation));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
    }

    /// <summary>Web Mercator's y of a latitude, as a fraction of the world from the north.</summary>
    private static double MercatorY(double latitude)
    {
        var sin = Math.Sin(latitude * Math.PI / 180);
        return 0.5 - 0.25 * Math.Log((1 + sin) / (1 - sin)) / Math.PI;
    }

    private async Task<string> PointsTableAsync()
    {
        var table = "points_" + Guid.NewGuid().ToString("N")[..8];
        await environment.AsOrganizationAsync(environment.A, $"""
            CREATE TABLE {table} (value int, label text, geom geometry(Point, 4326));
            INSERT INTO {table} VALUES {string.Join(", ", Points.Select(point =>
                FormattableString.Invariant($"({point.Value}, 'v{point.Value}', 'SRID=4326;POINT({point.Lon} {point.Lat})')")))};
            CREATE INDEX ON {table} USING gist (geom);
            """);
        return table;
    }

    /// <summary>A point's cell at a resolution: its Web Mercator tile, computed here as deck.gl's tiles are.</summary>
    private static long PointCell((double Lon, double Lat, int Value) point, int resolution)
    {
        var size = Math.Pow(2, resolution);
        var x = (long)Math.Floor(size * (point.Lon / 360 + 0.5));
        var y = (long)Math.Floor(size * MercatorY(point.Lat));
        return Quadbin.FromTile(resolution, x, y);
    }

    private static long Ancestor(long cell, int resolution)
    {
        var (z, x, y) = Quadbin.ToTile(cell);
        return Quadbin.FromTile(resolution, x >> (z - resolution), y >> (z - resolution));
    }

    private static Dictionary<long, (double Count, double Total)> ExpectedCells(IEnumerable<(double Lon, double Lat, int Value)> points, int resolution) =>
        points.GroupBy(point => PointCell(point, resolution))
            .ToDictionary(group => group.Key, group => ((double)group.Count(), (double)group.Sum(point => point.Value)));

    private sealed record Cell(long Id, Dictionary<string, double> Numbers, Dictionary<string, string> Texts);

    /// <summary>A tile's cells, decoded from CARTO's spatial tile as deck.gl reads it (packed little-endian ids and values).</summary>
    private static async Task<List<Cell>> CellsAsync(HttpClient client, string template, string cell)
    {
        var response = await client.GetAsync(template.Replace("{i}", cell), Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal("application/vnd.carto-spatial-tile", response.Content.Headers.ContentType?.MediaType);
        var tile = SpatialTile.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Cancellation));
        var ids = MemoryMarshal.Cast<byte, long>(tile.Cells.Indices.Value.Span).ToArray();
        var numbers = tile.Cells.NumericProps.ToDictionary(prop => prop.Key, prop => MemoryMarshal.Cast<byte, double>(prop.Value.Value.Span).ToArray());
        Assert.All(numbers.Values, values => Assert.Equal(ids.Length, values.Length));
        return ids.Select((id, i) => new Cell(id, numbers.ToDictionary(prop => prop.Key, prop => prop.Value[i]),
            tile.Cells.Properties.Count == 0 ? [] : tile.Cells.Properties[i].Values.ToDictionary(value => value.Key, value => value.Value))).ToList();
    }
}
