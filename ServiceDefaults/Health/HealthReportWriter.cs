using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CartoSelfHosted.ServiceDefaults.Health;

/// <summary>Writes a health report as JSON, so a person or the platform health endpoint can see which dependency is failing.</summary>
public static class HealthReportWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return JsonSerializer.SerializeAsync(context.Response.Body, HealthReportBody.From(report), HealthJson.Options,
            context.RequestAborted);
    }
}

public sealed record HealthReportBody(string Status, IReadOnlyList<HealthCheckBody> Checks)
{
    public static HealthReportBody From(HealthReport report) => new(
        report.Status.ToString(),
        report.Entries.Select(entry => new HealthCheckBody(
            entry.Key,
            entry.Value.Status.ToString(),
            // Descriptions are written to be public; exception messages (addresses, internals) are not, and are logged instead.
            entry.Value.Description,
            Math.Round(entry.Value.Duration.TotalMilliseconds, 1))).ToList());
}

public sealed record HealthCheckBody(string Name, string Status, string? Description, double DurationMs);

public static class HealthJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
