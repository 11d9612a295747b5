using System.Diagnostics;

namespace CartoSelfHosted.Platform.Messaging;

/// <summary>
/// Spans around messages, named and tagged as OpenTelemetry's messaging conventions say, and W3C trace context carried
/// in message attributes: the API's span, the message's "create" span and the worker's "process" span share one trace.
/// </summary>
public static class MessagingTelemetry
{
    public const string SourceName = "CartoSelfHosted.Messaging";
    public const string System = "gcp_pubsub";

    public static readonly ActivitySource Source = new(SourceName);

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
