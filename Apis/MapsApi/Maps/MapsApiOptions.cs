namespace CartoSelfHosted.MapsApi.Maps;

/// <summary>The Maps API's limits and cache lifetimes (section <c>MapsApi</c>).</summary>
public sealed class MapsApiOptions
{
    /// <summary>For instantiation and TileJSON statistics, which read a whole source.</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>For one tile: a tile that cannot be made in this time is a 400 problem, never a hung request.</summary>
    public TimeSpan TileStatementTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long clients and the HTTP cache keep what is made from a table (CARTO's 30 minutes for PostgreSQL).</summary>
    public TimeSpan TableCacheDuration { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long what is made from a query is kept: its URLs carry a <c>cache</c> value that changes with its data.</summary>
    public TimeSpan QueryCacheDuration { get; set; } = TimeSpan.FromDays(365);

    /// <summary>A tile that took at least this long to make is kept in Redis (the hot, costly ones); cheaper ones are not worth it.</summary>
    public TimeSpan RedisTileMinimumCost { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How long Redis keeps tiles, TileJSON and instantiation metadata; data-changed events drop them sooner.</summary>
    public TimeSpan RedisTimeToLive { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The GeoJSON endpoint is for small sources: past this many features it answers 400 and points at the tiles.</summary>
    public int MaxGeoJsonFeatures { get; set; } = 50_000;
}
