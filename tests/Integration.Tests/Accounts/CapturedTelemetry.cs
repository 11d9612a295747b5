using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace CartoSelfHosted.Integration.Tests.Accounts;

/// <summary>
/// Every log entry an API writes (its message, its state's values, its scopes and exception) and every attribute of the
/// activities (traces) the process records while it is alive, as text, for a test to search for what must not be there.
/// </summary>
public sealed class CapturedTelemetry : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _logLines = new();
    private readonly ConcurrentQueue<string> _traceAttributes = new();
    private readonly ActivityListener _listener;

    public CapturedTelemetry()
    {
        // Listens to every source without asking for more sampling than the hosts' own tracing asks for.
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                _traceAttributes.Enqueue($"{activity.Source.Name} {activity.DisplayName} {activity.StatusDescription}");
                foreach (var (key, value) in activity.TagObjects)
                {
                    _traceAttributes.Enqueue($"{key}={value}");
                }
                foreach (var activityEvent in activity.Events)
                {
                    _traceAttributes.Enqueue(activityEvent.Name + " " + string.Join(' ', activityEvent.Tags.Select(tag => $"{tag.Key}={tag.Value}")));
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyCollection<string> LogLines => _logLines;

    public IReadOnlyCollection<string> TraceAttributes => _traceAttributes;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _logLines);

    public void Dispose() => _listener.Dispose();

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            lines.Enqueue($"{category} scope: {Describe(state)}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category} {formatter(state, exception)} {Describe(state)} {exception}");

        private static string Describe<TState>(TState state) => state is IEnumerable<KeyValuePair<string, object?>> values
            ? string.Join(' ', values.Select(value => $"{value.Key}={value.Value}"))
            : state?.ToString() ?? "";
    }
}
