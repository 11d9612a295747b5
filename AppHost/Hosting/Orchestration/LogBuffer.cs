namespace CartoSelfHosted.AppHost.Hosting;

public sealed record LogLine(long Sequence, DateTimeOffset Time, string Stream, string Text);

/// <summary>
/// A resource's console output: the last lines in memory for the dashboard, every line in <c>.data/logs/&lt;name&gt;.log</c>.
/// The file is flushed every <see cref="FlushInterval"/>, not at every line: a busy service (the router logs each request)
/// would otherwise cost a write for each of its lines.
/// </summary>
public sealed class LogBuffer : IDisposable
{
    private const int Capacity = 5000;
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(200);
    private readonly Queue<LogLine> _lines = new();
    private readonly StreamWriter _file;
    private readonly Timer _flush;
    private readonly Lock _lock = new();
    private long _sequence;
    private bool _disposed;

    public LogBuffer(string filePath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(filePath)!);
        _file = new StreamWriter(new FileStream(filePath, FileMode.Create, FileAccess.Write, FileShare.Read));
        _flush = new Timer(_ => Flush(), null, FlushInterval, FlushInterval);
    }

    public void Add(string stream, string? text)
    {
        if (text is null)
        {
            return;
        }
        lock (_lock)
        {
            // A process's last lines can arrive after AppHost has closed the file on its way out.
            if (_disposed)
            {
                return;
            }
            var line = new LogLine(++_sequence, DateTimeOffset.UtcNow, stream, text);
            _lines.Enqueue(line);
            if (_lines.Count > Capacity)
            {
                _lines.Dequeue();
            }
            _file.WriteLine($"{line.Time:HH:mm:ss.fff} {stream} {text}");
        }
    }

    /// <summary>The lines after <paramref name="afterSequence"/>, at most <paramref name="limit"/>, oldest first.</summary>
    public IReadOnlyList<LogLine> After(long afterSequence, int limit)
    {
        lock (_lock)
        {
            return _lines.Where(line => line.Sequence > afterSequence).Take(limit).ToList();
        }
    }

    private void Flush()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _file.Flush();
            }
        }
    }

    public void Dispose()
    {
        _flush.Dispose();
        lock (_lock)
        {
            _disposed = true;
            _file.Dispose();
        }
    }
}
