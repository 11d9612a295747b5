namespace CartoSelfHosted.TestSupport;

/// <summary>
/// Saved maps as CARTO Builder writes them (CARTO-API.md §3.2), for the tests that save one and open it: two datasets, a
/// table and a query, each drawn by a layer; the table's layer colours its points by a field, so fetchMap asks the Stats
/// API for it.
/// </summary>
public static class SavedMaps
{
    public const string TableDataset = "cities";
    public const string QueryDataset = "big_cities";
    public const string ColorField = "population";

    public static object TwoLayers(string table, string query, string privacy = "private", string title = "Cities") => new
    {
        title,
        description = "Cities, and the biggest of them",
        privacy,
        datasets = new object[]
        {
            Dataset(TableDataset, "table", table),
            Dataset(QueryDataset, "query", query),
        },
        keplerMapConfig = KeplerMapConfig(
            Layer("points", TableDataset, new { colorField = new { name = ColorField, type = "integer" }, colorScale = "quantile" }),
            Layer("big", QueryDataset, new { })),
    };

    public static object Dataset(string id, string type, string source) =>
        new { id, type, source, connectionName = "carto_dw", geoColumn = "geom", providerId = "postgres" };

    public static object Layer(string id, string dataId, object visualChannels) => new
    {
        id,
        type = "mvt",
        config = new
        {
            dataId,
            label = id,
            color = new[] { 18, 147, 154 },
            isVisible = true,
            columns = new { },
            textLabel = Array.Empty<object>(),
            visConfig = new
            {
                opacity = 0.8,
                radius = 6,
                filled = true,
                colorRange = new { colors = new[] { "#FCDE9C", "#E38F65", "#B7385A", "#7C1D6F" }, name = "SunsetDark", type = "sequential", category = "CARTO" },
            },
        },
        visualChannels,
    };

    public static object KeplerMapConfig(params object[] layers) => new
    {
        version = "v1",
        config = new
        {
            filters = new { },
            mapState = new { latitude = 40, longitude = -3, zoom = 4, pitch = 0, bearing = 0 },
            mapStyle = new { styleType = "positron", visibleLayerGroups = new { label = true, road = true, border = true, building = true, water = true, land = true } },
            visState = new
            {
                layerBlending = "normal",
                interactionConfig = new { tooltip = new { enabled = true, fieldsToShow = new { } } },
                layers,
            },
        },
    };
}
