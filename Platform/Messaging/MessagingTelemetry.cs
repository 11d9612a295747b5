using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CartoSelfHosted.Platform.Messaging;

/// <summary>
/// Spans around messages, named and tagged as OpenTelemetry's messaging conventions say, and W3C trace context carried
/// in message attributes: the API's span, the message's "create" span and the worker's "process" span share one trace.
/// </summary>
public static class MessagingTelemetry
{
    public const string SourceName = "CartoSelfHosted.Messaging";

    public static readonly ActivitySource Source = new(SourceName);

    private static readonly Meter Meter = new(SourceName);

    /// <summary>
    /// Messages a subscriber finished, by subscription and outcome (handled, failed: to be redelivered, dead_lettered):
    /// the totals of <see cref="MessagingStatus"/>, as a metric that the dashboard charts per replica.
    /// </summary>
    private static readonly Counter<long> Processed = Meter.CreateCounter<long>(
        "carto.messaging.processed", unit: "{message}", description: "Messages a subscriber finished, by outcome.");

    public static void CountProcessed(string subscription, string outcome) =>
        Processed.Add(1, new KeyValuePair<string, object?>("messaging.destination.subscription.name", subscription),
            new KeyValuePair<string, object?>("outcome", outcome));

    public static void Inject(Activity? activity, IDictionary<string, string> attributes) =>
        DistributedContextPropagator.Current.Inject(activity, attributes, static (carrier, key, value) =>
        {
            if (carrier is IDictionary<string, string> dictionary && value is not null)
            {
                dictionary[key] = value;
            }
        });

    public static ActivityContext Extract(IReadOnlyDictionary<string, string> attributes)
    {
        DistributedContextPropagator.Current.ExtractTraceIdAndState(attributes, static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
        {
            values = null;
            value = carrier is IReadOnlyDictionary<string, string> dictionary && dictionary.TryGetValue(name, out var found) ? found : null;
        }, out var traceParent, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }
}
