using System.ComponentModel.DataAnnotations;
using StackExchange.Redis;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// How a service talks to Redis; the section <c>Redis</c> of the configuration. Redis is an optional cache, so the
/// defaults are short: a request never waits long for it, and while it is away it is not asked at all.
/// </summary>
public sealed class RedisCacheOptions
{
    public const string SectionName = "Redis";

    /// <summary>Connecting, and each attempt to connect again, not done in this long counts as Redis being down.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The whole of one call. Past it the call fails: a miss, a no-op, an invalidation to try again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>While Redis is away, how often to try to connect again; calls meanwhile fail at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan ReconnectInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Sets what these options decide on StackExchange.Redis' configuration, over whatever it held.</summary>
    internal void ApplyTo(ConfigurationOptions configuration)
    {
        // A cache must never keep a service from starting: without Redis the multiplexer is made all the same and
        // connects in the background.
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Milliseconds(ConnectTimeout);
        // One attempt, not three: the first call that needs the multiplexer waits for it to connect, ConnectTimeout at
        // most; later attempts are made in the background.
        configuration.ConnectRetry = 1;
        configuration.AsyncTimeout = Milliseconds(OperationTimeout);
        configuration.SyncTimeout = Milliseconds(OperationTimeout);
        // The default policy queues calls while Redis is away, so every request would wait OperationTimeout for it.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        // The default backs off up to 10 s between attempts: a cache that came back would stay unused that long.
        configuration.ReconnectRetryPolicy = new LinearRetry(Milliseconds(ReconnectInterval));
    }

    private static int Milliseconds(TimeSpan duration) => (int)Math.Ceiling(duration.TotalMilliseconds);
}
