using System.Net.Http.Json;
using System.Text.Json;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>One span as the Aspire dashboard received it over OTLP.</summary>
public sealed record DashboardSpan(string Name, string Service, string SpanId, string? ParentSpanId, IReadOnlyDictionary<string, string> Attributes);

/// <summary>The Aspire dashboard's telemetry API (<c>/api/telemetry/traces/{traceId}</c>), which answers in OTLP's JSON.</summary>
public static class DashboardTelemetry
{
    public static async Task<List<DashboardSpan>> TraceAsync(PlatformUnderTest platform, string traceId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(platform.Dashboard, $"/api/telemetry/traces/{traceId}"));
        if (platform.DashboardApiKey is { } key)
        {
            request.Headers.Add("x-api-key", key);
        }
        using var response = await platform.Http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return [];
        }
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return body.GetProperty("data").GetProperty("resourceSpans").EnumerateArray().SelectMany(resourceSpans =>
        {
            var service = Attributes(resourceSpans.GetProperty("resource"))["service.name"];
            return resourceSpans.GetProperty("scopeSpans").EnumerateArray()
                .SelectMany(scope => scope.GetProperty("spans").EnumerateArray())
                .Select(span => new DashboardSpan(span.GetProperty("name").GetString()!, service, span.GetProperty("spanId").GetString()!,
                    span.TryGetProperty("parentSpanId", out var parent) ? parent.GetString() : null, Attributes(span)));
        }).ToList();
    }

    private static Dictionary<string, string> Attributes(JsonElement element) =>
        element.TryGetProperty("attributes", out var attributes)
            ? attributes.EnumerateArray().ToDictionary(attribute => attribute.GetProperty("key").GetString()!,
                attribute => attribute.GetProperty("value").EnumerateObject().First().Value.ToString())
            : [];
}
