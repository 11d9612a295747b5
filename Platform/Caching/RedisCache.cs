using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// Bytes cached in Redis under a key, with tags to invalidate them by. Redis is optional: reads and writes never fail a
/// request and never make it wait long (a miss, a no-op), and without <c>ConnectionStrings__redis</c> the cache is
/// disabled altogether. Only an invalidation reports that Redis is away, because its caller must try it again.
/// A tag's keys are kept in the set <c>tag:&lt;tag&gt;</c>, which lives at least as long as the longest-lived value
/// tagged with it; a value that expires on its own stays listed there (harmless: deleting it again deletes nothing)
/// until the tag is invalidated or its set expires. The scripts touch keys they do not declare, so the cache needs a
/// single Redis (or a primary), not Redis Cluster.
/// An outage is logged once as it starts (the connection drops, or a call finds Redis away) and once as it ends (the
/// connection is back, or a call is answered), never per call.
/// </summary>
public sealed class RedisCache
{
    private const string TagPrefix = "tag:";

    // KEYS: the value's key, then the tags' sets; ARGV: the value, its time to live in ms. One round trip, atomic.
    private const string SetScript = """
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        local ttl = tonumber(ARGV[2])
        for i = 2, #KEYS do
          redis.call('SADD', KEYS[i], KEYS[1])
          if redis.call('PTTL', KEYS[i]) < ttl then
            redis.call('PEXPIRE', KEYS[i], ARGV[2])
          end
        end
        return 1
        """;

    // KEYS: the tags' sets. Atomic: a value stored while it runs is either deleted or stored after it, never lost from
    // its set. UNLINK frees large values off Redis' main thread; members go 1000 at a time to stay within Lua's stack.
    private const string InvalidateScript = """
        local deleted = 0
        for _, tag in ipairs(KEYS) do
          local keys = redis.call('SMEMBERS', tag)
          for i = 1, #keys, 1000 do
            deleted = deleted + redis.call('UNLINK', unpack(keys, i, math.min(i + 999, #keys)))
          end
          redis.call('UNLINK', tag)
        end
        return deleted
        """;

    private readonly IConnectionMultiplexer? _redis;
    private readonly TimeSpan _operationTimeout;
    private readonly ILogger _logger;
    private readonly Lock _outageLock = new();
    // 0 while Redis answers; during an outage, the Stopwatch timestamp at which it was first seen.
    private long _outageStartedAt;

    /// <param name="redis">Redis, or null when the service has none (the cache is then disabled). Not the cache's to dispose.</param>
    /// <param name="options">The timeout of each call.</param>
    /// <param name="logger">For outages, and for commands Redis refused (at debug level).</param>
    public RedisCache(IConnectionMultiplexer? redis, IOptions<RedisCacheOptions> options, ILogger<RedisCache> logger)
    {
        _redis = redis;
        _operationTimeout = options.Value.OperationTimeout;
        _logger = logger;
        if (redis is null)
        {
            return;
        }
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        // The first attempt to connect was over before these handlers were there to hear of it.
        if (!redis.IsConnected)
        {
            ReportOutage("no connection could be made");
        }
    }

    public bool IsEnabled => _redis is not null;

    /// <summary>A hit's bytes, or null on a miss, and also when Redis is unreachable, slow or disabled: never an exception for those.</summary>
    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (_redis is null)
        {
            return null;
        }
        try
        {
            return (byte[]?)await CallAsync(database => database.StringGetAsync(key), cancellationToken);
        }
        catch (RedisUnavailableException)
        {
            return null;
        }
    }

    /// <summary>
    /// Best effort (nothing is thrown when Redis is away): stores <paramref name="value"/> under <paramref name="key"/>
    /// for <paramref name="timeToLive"/> and lists the key in each tag's set, in one round trip. The bytes must not change
    /// afterwards: a call that timed out may still send them.
    /// </summary>
    public async Task SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, IReadOnlyList<string> tags,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(tags);
        if (_redis is null)
        {
            return;
        }
        // Whole milliseconds, never rounded down to none.
        var milliseconds = (long)Math.Ceiling(timeToLive.TotalMilliseconds);
        try
        {
            if (tags.Count == 0)
            {
                await CallAsync(database => database.StringSetAsync(key, value, TimeSpan.FromMilliseconds(milliseconds)), cancellationToken);
            }
            else
            {
                RedisKey[] keys = [key, .. tags.Select(TagSet)];
                await CallAsync(database => database.ScriptEvaluateAsync(SetScript, keys, [value, milliseconds]), cancellationToken);
            }
        }
        catch (RedisUnavailableException)
        {
            // Best effort: the next request computes the value again.
        }
    }

    /// <summary>
    /// Deletes every key listed under any of <paramref name="tags"/>, and the tags' sets, atomically; returns how many
    /// keys were deleted (0 when the cache is disabled).
    /// </summary>
    /// <exception cref="RedisUnavailableException">Redis is away or refused: the invalidation may not have happened, and must be tried again.</exception>
    public async Task<long> InvalidateTagsAsync(IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (_redis is null || tags.Count == 0)
        {
            return 0;
        }
        RedisKey[] keys = [.. tags.Select(TagSet)];
        return (long)await CallAsync(database => database.ScriptEvaluateAsync(InvalidateScript, keys), cancellationToken);
    }

    private static RedisKey TagSet(string tag) => TagPrefix + tag;

    /// <summary>
    /// One call to Redis, waited for no longer than <see cref="RedisCacheOptions.OperationTimeout"/> (StackExchange.Redis
    /// checks its own timeouts only once a second) or until the caller gives up. A script is sent by its SHA1
    /// (<c>EVALSHA</c>) once Redis has seen it. Every failure is a <see cref="RedisUnavailableException"/>.
    /// </summary>
    private async Task<T> CallAsync<T>(Func<IDatabaseAsync, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            var result = await call(_redis!.GetDatabase()).WaitAsync(_operationTimeout, cancellationToken);
            ReportAnswer();
            return result;
        }
        catch (Exception ex) when (ex is RedisConnectionException or TimeoutException)
        {
            // TimeoutException: ours, or StackExchange.Redis' RedisTimeoutException. Not the message: it names the key.
            ReportOutage(ex is RedisConnectionException connection ? connection.FailureType.ToString() : "no answer in time");
            throw new RedisUnavailableException(ex is TimeoutException
                ? $"Redis did not answer within {_operationTimeout.TotalMilliseconds} ms."
                : "Redis cannot be reached.", ex);
        }
        catch (RedisServerException ex)
        {
            // An error reply (out of memory, a script that fails): Redis is there, it refused this command.
            ReportAnswer();
            _logger.LogDebug("Redis refused a command: {Error}", ex.Message);
            throw new RedisUnavailableException("Redis refused the command.", ex);
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        // The commands go over the interactive connection; the other one is StackExchange.Redis' pub/sub.
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            ReportOutage(e.FailureType.ToString());
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            ReportAnswer();
        }
    }

    private void ReportOutage(string reason)
    {
        if (Interlocked.Read(ref _outageStartedAt) != 0)
        {
            return;
        }
        lock (_outageLock)
        {
            if (_outageStartedAt == 0)
            {
                Interlocked.Exchange(ref _outageStartedAt, Stopwatch.GetTimestamp());
                _logger.LogWarning("Redis is unavailable ({Reason}): the cache is skipped until it answers again", reason);
            }
        }
    }

    private void ReportAnswer()
    {
        if (Interlocked.Read(ref _outageStartedAt) == 0)
        {
            return;
        }
        lock (_outageLock)
        {
            var startedAt = Interlocked.Exchange(ref _outageStartedAt, 0);
            if (startedAt != 0)
            {
                _logger.LogInformation("Redis answers again, after {OutageSeconds:0.0} s unavailable",
                    Stopwatch.GetElapsedTime(startedAt).TotalSeconds);
            }
        }
    }
}
