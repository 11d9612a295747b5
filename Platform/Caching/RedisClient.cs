using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// The platform's Redis client: RESP2 over a small pool of connections, one command or a pipeline of many per call.
/// Redis is an optional cache, so the client fails fast rather than make a request wait for it: connecting and every
/// call have short timeouts, and after a failure a circuit opens during which calls fail at once without touching the
/// network; once it has been open for <see cref="RedisCacheOptions.CircuitBreakDuration"/>, one call tries Redis
/// again (the others keep failing fast meanwhile) and closes it if Redis answers. An outage is logged once as it starts
/// and once as it ends, never per call. Every failure is a <see cref="RedisUnavailableException"/>; an error reply is a
/// <see cref="RedisReply"/> of kind <see cref="RedisReplyKind.Error"/>.
/// </summary>
public sealed class RedisClient : IAsyncDisposable, IDisposable
{
    private static readonly RedisCommand Ping = new("PING");

    private readonly RedisCacheOptions _options;
    private readonly ILogger _logger;
    private readonly RedisConnectionPool _pool;
    private readonly Lock _circuitLock = new();
    // 0 while the circuit is closed; while it is open, the Environment.TickCount64 from which one call may try Redis again.
    private long _retryAt;
    private long _outageStartedAt;
    private volatile bool _disposed;

    public RedisClient(RedisEndpoint endpoint, IOptions<RedisCacheOptions> options, ILogger<RedisClient> logger)
    {
        _options = options.Value;
        Validator.ValidateObject(_options, new ValidationContext(_options), validateAllProperties: true);
        Endpoint = endpoint;
        _logger = logger;
        _pool = new RedisConnectionPool(endpoint, _options.PoolSize, _options.ConnectTimeout);
    }

    public RedisEndpoint Endpoint { get; }

    public async Task<RedisReply> ExecuteAsync(RedisCommand command, CancellationToken cancellationToken) =>
        (await ExecuteAsync([command], cancellationToken))[0];

    /// <summary>
    /// A pipeline: every command goes out in one write on one connection, and their replies come back in order, one per
    /// command. The commands do not run as a transaction (other clients' commands may run between them); wrap them in
    /// <c>MULTI</c>/<c>EXEC</c> for that.
    /// </summary>
    public async Task<IReadOnlyList<RedisReply>> ExecuteAsync(IReadOnlyList<RedisCommand> commands, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (commands.Count == 0)
        {
            return [];
        }
        if (!TryPassCircuit())
        {
            throw new RedisUnavailableException("Redis failed moments ago: it is skipped until the circuit closes.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.OperationTimeout);
        try
        {
            await _pool.EnterAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Busy, not broken: the circuit is left as it is.
            throw new RedisUnavailableException(
                $"All {_options.PoolSize} connections to Redis stayed busy for {_options.OperationTimeout.TotalMilliseconds} ms.");
        }

        RedisConnection? connection = null;
        try
        {
            connection = await _pool.TakeAsync(timeout.Token);
            var replies = await connection.ExecuteAsync(commands, timeout.Token);
            // An answer on a connection opened before the last failure does not show that Redis is back.
            if (connection.Generation == _pool.Generation)
            {
                CloseCircuit();
            }
            return replies;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException)
        {
            _pool.Invalidate();
            // A connection that answered before and now is dropped most likely went stale while idle (Redis restarted,
            // a proxy closed it): the next call opens a new one, and that one tells whether Redis is down. A timeout
            // always counts: a Redis that hangs must not hold up a call per request.
            if (ex is OperationCanceledException || connection is not { HasAnswered: true })
            {
                OpenCircuit(ex);
            }
            throw new RedisUnavailableException(ex is OperationCanceledException
                ? $"Redis did not answer within {_options.OperationTimeout.TotalMilliseconds} ms."
                : "Redis cannot be reached, or dropped the connection.", ex);
        }
        finally
        {
            _pool.Release(connection);
        }
    }

    /// <summary>Whether Redis answers PING now; false, without waiting, while the circuit is open.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ExecuteAsync(Ping, cancellationToken) is { Kind: RedisReplyKind.SimpleString, Text: "PONG" };
        }
        catch (RedisUnavailableException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the idle connections now and the busy ones as their calls end; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _disposed = true;
        _pool.Dispose();
    }

    private bool TryPassCircuit()
    {
        var retryAt = Interlocked.Read(ref _retryAt);
        if (retryAt == 0)
        {
            return true;
        }
        var now = Environment.TickCount64;
        // The one call that moves the next retry a full break away tries Redis; the others keep failing fast meanwhile.
        return now >= retryAt && Interlocked.CompareExchange(ref _retryAt, now + BreakMilliseconds, retryAt) == retryAt;
    }

    private void OpenCircuit(Exception cause)
    {
        lock (_circuitLock)
        {
            var wasClosed = Interlocked.Exchange(ref _retryAt, Environment.TickCount64 + BreakMilliseconds) == 0;
            if (wasClosed)
            {
                _outageStartedAt = Stopwatch.GetTimestamp();
                _logger.LogWarning("Redis at {Endpoint} is unavailable ({Reason}); it is skipped, and tried again every {BreakMilliseconds} ms, until it answers",
                    Endpoint, cause is OperationCanceledException ? "no answer in time" : cause.Message, BreakMilliseconds);
            }
        }
    }

    private void CloseCircuit()
    {
        if (Interlocked.Read(ref _retryAt) == 0)
        {
            return;
        }
        lock (_circuitLock)
        {
            if (Interlocked.Exchange(ref _retryAt, 0) != 0)
            {
                _logger.LogInformation("Redis at {Endpoint} answers again, after {OutageSeconds:0.0} s unavailable",
                    Endpoint, Stopwatch.GetElapsedTime(_outageStartedAt).TotalSeconds);
            }
        }
    }

    private long BreakMilliseconds => (long)Math.Ceiling(_options.CircuitBreakDuration.TotalMilliseconds);
}
