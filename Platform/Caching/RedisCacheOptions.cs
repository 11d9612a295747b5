using System.ComponentModel.DataAnnotations;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// How a service talks to Redis; the section <c>Redis</c> of the configuration. Redis is an optional cache, so the
/// defaults are short: a request never waits long for it, and while it is away it is not asked at all.
/// </summary>
public sealed class RedisCacheOptions
{
    public const string SectionName = "Redis";

    /// <summary>Connections held open at most; also how many commands (or pipelines) are under way at once.</summary>
    [Range(1, 1024)]
    public int PoolSize { get; set; } = 8;

    /// <summary>A new connection not made in this long counts as Redis being down.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The whole of one call: waiting for a pooled connection, connecting, sending and reading every reply. Past it the
    /// call fails, its connection is closed (a late reply would answer the next command) and Redis counts as down.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>After a failure calls fail at once for this long; then one call tries Redis again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(1);
}
