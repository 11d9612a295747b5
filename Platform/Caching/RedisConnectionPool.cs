using System.Collections.Concurrent;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// At most <c>size</c> connections to one Redis, each lent to one caller at a time. An idle connection is reused, most
/// recently used first; a broken one is closed, never lent again. A failure also ends the current generation: the idle
/// connections are closed and the busy ones are closed when they come back, since whatever broke one (a Redis restart)
/// has most likely broken them all.
/// </summary>
internal sealed class RedisConnectionPool(RedisEndpoint endpoint, int size, TimeSpan connectTimeout) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(size, size);
    private readonly ConcurrentStack<RedisConnection> _idle = new();
    private int _generation;
    private volatile bool _disposed;

    public int Generation => Volatile.Read(ref _generation);

    /// <summary>Waits for one of the <c>size</c> slots; <see cref="Release"/> gives it back.</summary>
    public Task EnterAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    /// <summary>An idle connection of the current generation, or a new one; only with a slot held.</summary>
    public async Task<RedisConnection> TakeAsync(CancellationToken cancellationToken)
    {
        var generation = Generation;
        while (_idle.TryPop(out var idle))
        {
            if (idle.Generation == generation)
            {
                return idle;
            }
            idle.Dispose();
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connectTimeout);
        return await RedisConnection.ConnectAsync(endpoint, generation, timeout.Token);
    }

    /// <summary>Gives back the slot, and the connection (if one was taken) when it can still be used.</summary>
    public void Release(RedisConnection? connection)
    {
        if (connection is not null)
        {
            if (connection.IsBroken || connection.Generation != Generation || _disposed)
            {
                connection.Dispose();
            }
            else
            {
                _idle.Push(connection);
                if (_disposed)
                {
                    CloseIdle();
                }
            }
        }
        _slots.Release();
    }

    /// <summary>After a failure: no connection opened before it is used again.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        CloseIdle();
    }

    /// <summary>Closes the idle connections; busy ones are closed as they come back. The slots stay usable, so a late <see cref="Release"/> is harmless.</summary>
    public void Dispose()
    {
        _disposed = true;
        CloseIdle();
    }

    private void CloseIdle()
    {
        while (_idle.TryPop(out var idle))
        {
            idle.Dispose();
        }
    }
}
