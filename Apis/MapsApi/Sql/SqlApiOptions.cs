namespace CartoSelfHosted.MapsApi.Sql;

/// <summary>The SQL API's limits (section <c>SqlApi</c>), by default CARTO's documented ones.</summary>
public sealed class SqlApiOptions
{
    /// <summary>Rows a synchronous query returns at most; past that the answer is cut and says <c>truncated</c>.</summary>
    public int MaxRows { get; set; } = 200_000;

    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the HTTP cache keeps a GET answer; data-changed events of the organization purge it sooner.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(5);
}
