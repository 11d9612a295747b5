namespace CartoSelfHosted.AppHost.Hosting;

public sealed record TraceSummary(string TraceId, string RootName, IReadOnlyList<string> Services, int SpanCount,
    DateTimeOffset Start, double DurationMs, bool HasError);

/// <summary>The most recent spans the services exported, in memory, for the dashboard (like Aspire's, nothing is kept).</summary>
public sealed class TraceStore
{
    private const int Capacity = 20_000;
    private readonly Queue<SpanRecord> _spans = new();
    private readonly Lock _lock = new();

    public void Add(IEnumerable<SpanRecord> spans)
    {
        lock (_lock)
        {
            foreach (var span in spans)
            {
                _spans.Enqueue(span);
                if (_spans.Count > Capacity)
                {
                    _spans.Dequeue();
                }
            }
        }
    }

    public IReadOnlyList<SpanRecord> Trace(string traceId)
    {
        lock (_lock)
        {
            return _spans.Where(span => span.TraceId == traceId).OrderBy(span => span.Start).ToList();
        }
    }

    /// <summary>The newest traces, optionally only those a service took part in.</summary>
    public IReadOnlyList<TraceSummary> Recent(int limit, string? service)
    {
        lock (_lock)
        {
            return _spans.GroupBy(span => span.TraceId)
                .Where(trace => service is null || trace.Any(span => span.Service == service))
                .Select(trace =>
                {
                    var root = trace.FirstOrDefault(span => span.ParentSpanId is null) ?? trace.MinBy(span => span.Start)!;
                    var start = trace.Min(span => span.Start);
                    var end = trace.Max(span => span.Start.AddMilliseconds(span.DurationMs));
                    return new TraceSummary(trace.Key, $"{root.Service}: {root.Name}",
                        trace.Select(span => span.Service).Distinct().Order(StringComparer.Ordinal).ToList(), trace.Count(), start,
                        (end - start).TotalMilliseconds, trace.Any(span => span.StatusCode == 2));
                })
                .OrderByDescending(trace => trace.Start)
                .Take(limit)
                .ToList();
        }
    }
}
