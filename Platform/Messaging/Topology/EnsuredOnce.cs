namespace CartoSelfHosted.Platform.Messaging.Topology;

/// <summary>
/// Runs an idempotent setup (a broker's topology) until it has succeeded once, one caller at a time; after
/// <see cref="Invalidate"/> (the broker showed it lost the topology) the next call runs it again.
/// </summary>
internal sealed class EnsuredOnce
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _done;

    public async Task EnsureAsync(Func<CancellationToken, Task> setup, CancellationToken cancellationToken)
    {
        if (_done)
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_done)
            {
                await setup(cancellationToken);
                _done = true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Invalidate() => _done = false;
}
