using Microsoft.Extensions.Logging;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// Bytes cached in Redis under a key, with tags to invalidate them by. Redis is optional: reads and writes never fail a
/// request and never make it wait (a miss, a no-op), and without <c>ConnectionStrings__redis</c> the cache is disabled
/// altogether. Only an invalidation reports that Redis is away, because its caller must try it again.
/// A tag's keys are kept in the set <c>tag:&lt;tag&gt;</c>, which lives at least as long as the longest-lived value
/// tagged with it; a value that expires on its own stays listed there (harmless: deleting it again deletes nothing)
/// until the tag is invalidated or its set expires. The scripts touch keys they do not declare, so the cache needs a
/// single Redis (or a primary), not Redis Cluster.
/// </summary>
public sealed class RedisCache : IAsyncDisposable, IDisposable
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

    private readonly RedisClient? _client;
    private readonly ILogger _logger;

    /// <param name="client">Redis, or null when the service has none (the cache is then disabled). The cache owns it: disposing the cache disposes it.</param>
    /// <param name="logger">For error replies, at debug level; outages are the client's to log.</param>
    public RedisCache(RedisClient? client, ILogger<RedisCache> logger)
    {
        _client = client;
        _logger = logger;
    }

    public bool IsEnabled => _client is not null;

    /// <summary>A hit's bytes, or null on a miss, and also when Redis is unreachable, slow or disabled: never an exception for those.</summary>
    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (_client is null)
        {
            return null;
        }
        try
        {
            var reply = await _client.ExecuteAsync(new RedisCommand("GET", key), cancellationToken);
            if (reply.IsError)
            {
                _logger.LogDebug("Redis refused a GET: {Error}", reply.Text);
            }
            return reply.Bytes;
        }
        catch (RedisUnavailableException)
        {
            return null;
        }
    }

    /// <summary>
    /// Best effort (nothing is thrown when Redis is away): stores <paramref name="value"/> under <paramref name="key"/>
    /// for <paramref name="timeToLive"/> and lists the key in each tag's set, in one round trip.
    /// </summary>
    public async Task SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, IReadOnlyList<string> tags,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(tags);
        if (_client is null)
        {
            return;
        }
        var milliseconds = (long)Math.Ceiling(timeToLive.TotalMilliseconds);
        RedisCommand command;
        if (tags.Count == 0)
        {
            command = new RedisCommand("SET", key, value, "PX", milliseconds);
        }
        else
        {
            var arguments = new RedisArgument[tags.Count + 5];
            arguments[0] = SetScript;
            arguments[1] = tags.Count + 1;
            arguments[2] = key;
            for (var i = 0; i < tags.Count; i++)
            {
                arguments[3 + i] = TagPrefix + tags[i];
            }
            arguments[^2] = value;
            arguments[^1] = milliseconds;
            command = new RedisCommand("EVAL", arguments);
        }
        try
        {
            var reply = await _client.ExecuteAsync(command, cancellationToken);
            if (reply.IsError)
            {
                _logger.LogDebug("Redis refused to store a value: {Error}", reply.Text);
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
    /// <exception cref="RedisUnavailableException">Redis is away or refused: the invalidation did not happen, and must be tried again.</exception>
    public async Task<long> InvalidateTagsAsync(IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (_client is null || tags.Count == 0)
        {
            return 0;
        }
        var arguments = new RedisArgument[tags.Count + 2];
        arguments[0] = InvalidateScript;
        arguments[1] = tags.Count;
        for (var i = 0; i < tags.Count; i++)
        {
            arguments[2 + i] = TagPrefix + tags[i];
        }
        var reply = await _client.ExecuteAsync(new RedisCommand("EVAL", arguments), cancellationToken);
        return reply.Kind == RedisReplyKind.Integer
            ? reply.Integer
            : throw new RedisUnavailableException($"Redis did not invalidate the tags: {reply}");
    }

    public ValueTask DisposeAsync() => _client?.DisposeAsync() ?? ValueTask.CompletedTask;

    public void Dispose() => _client?.Dispose();
}
