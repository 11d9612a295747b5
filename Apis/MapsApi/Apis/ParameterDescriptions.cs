using CartoSelfHosted.MapsApi.Maps;

namespace CartoSelfHosted.MapsApi.Apis;

/// <summary>What the parameters of the Maps and SQL endpoints mean, as the document says it.</summary>
internal static class ParameterDescriptions
{
    public const string Connection = "The warehouse connection: `carto_dw`, the built-in one (any other is a 404).";

    public const string Kind = "`table` (a table, by `name`) or `query` (a query, by `q` and `queryParameters`).";

    public const string SourceId = "The source's id, from its instantiation.";

    public const string Cache = "The source's data version, from the URL its instantiation gave: it changes when its tables do, and keys caches.";

    public const string Query = "One SQL statement that only reads, run as the organization; `$1`, `$2`… take `queryParameters`.";

    public const string QueryParameters = "A JSON array of values, bound in order to `$1`, `$2`… (each takes its type from where it is used).";

    public const string QueryParametersInBody = "An array of values, bound in order to `$1`, `$2`… (each takes its type from where it is used).";

    public const string Format = "How the rows come back: `json` (the default: `schema`, `rows`, `meta`), `geojson` (a FeatureCollection) or `csv`.";

    public const string Name = "A table source's table: `table` (the organization's schema), `schema.table` or `database.schema.table`.";

    public const string Columns = "The columns the tiles carry, comma-separated; all of them when absent.";

    public const string SpatialDataColumn = $"The geometry column (`{MapSourceResolver.DefaultSpatialColumn}` when absent) or, for a quadbin " +
        $"source, the column of cells or of geometries to bin (`{MapSourceResolver.DefaultQuadbinColumn}` when absent).";

    public const string SpatialDataType = "`geo` (a geometry column: vector tiles, the default) or `quadbin` (a column of quadbin cells, " +
        "or a geometry column whose points are binned into cells: CARTO's spatial tiles of aggregated cells). `h3` is refused.";

    public const string AggregationExp = "A quadbin source's aggregates, required: `expression AS alias, …` over its columns (count, sum, " +
        "avg, min, max… and arithmetic); each cell carries them under their aliases.";

    public const string AggregationResLevel = "A quadbin source's cells, in levels below their tile's resolution: 0 to 10, 6 when absent.";

    public const string TileResolution = "0.25, 0.5 (the default), 1, 2 or 4: the tiles' grid, 256, 512, 1024, 2048 or 4096 units a side.";

    public const string Filters = "CARTO's filters, JSON (`{column: {in|between|closed_open|time|stringSearch: {values}}}`), ANDed: the " +
        "TileJSON, its tiles and statistics hold only the rows they keep.";

    public const string FeatureBbox = "`true` to give every polygon of the tiles its bounding box, `_carto_bbox` (\"west,south,east,north\" of the " +
        "whole polygon, in degrees), as deck.gl's labels want it (`prepareLabels`); `false` by default.";

    public const string Page = "The page, from 1.";

    public const string PageSize = "Jobs per page, 1 to 100.";
}
