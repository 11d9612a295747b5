using System.Net.Http.Json;
using CartoSelfHosted.ServiceDefaults.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CartoSelfHosted.WorkspaceApi.Health;

/// <summary>
/// The platform's health as one answer: this service's own checks plus the <c>/health</c> of every service it
/// was given a reference to (<c>services__&lt;name&gt;__*</c>: every replica of every service, its own fellow replicas among
/// them), asked in parallel through service discovery.
/// </summary>
public sealed class PlatformHealth(IConfiguration configuration, HttpClient client, HealthCheckService ownChecks)
{
    /// <summary>The name the platform knows this service by (the project's assembly name is WorkspaceApi).</summary>
    public const string ServiceName = "workspace-api";

    /// <summary>This process's name: its replica's (<c>workspace-api-2</c>), as it reports its telemetry under, when it is one.</summary>
    private string OwnName => configuration["OTEL_SERVICE_NAME"] ?? ServiceName;

    /// <summary>A probe reports what it sees now, once: no retries, and an answer within this time.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    public async Task<PlatformHealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var own = CheckSelfAsync(cancellationToken);
        var others = configuration.GetSection("services").GetChildren()
            .Select(service => service.Key)
            .Where(name => !string.Equals(name, OwnName, StringComparison.OrdinalIgnoreCase))
            .Select(name => CheckServiceAsync(name, cancellationToken));
        var services = (await Task.WhenAll(others.Append(own))).OrderBy(service => service.Name, StringComparer.Ordinal).ToList();

        var status = services.Any(service => service.Status == nameof(HealthStatus.Unhealthy)) ? nameof(HealthStatus.Unhealthy)
            : services.Any(service => service.Status == nameof(HealthStatus.Degraded)) ? nameof(HealthStatus.Degraded)
            : nameof(HealthStatus.Healthy);
        return new PlatformHealthReport(status, services);
    }

    private async Task<ServiceHealth> CheckSelfAsync(CancellationToken cancellationToken)
    {
        var report = HealthReportBody.From(await ownChecks.CheckHealthAsync(cancellationToken));
        return new ServiceHealth(OwnName, report.Status, report.Checks);
    }

    private async Task<ServiceHealth> CheckServiceAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.GetAsync(new Uri($"http://{name}/health"), cancellationToken);
            var body = await response.Content.ReadFromJsonAsync<HealthReportBody>(HealthJson.Options, cancellationToken);
            return new ServiceHealth(name, body?.Status ?? nameof(HealthStatus.Unhealthy), body?.Checks ?? []);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return new ServiceHealth(name, nameof(HealthStatus.Unhealthy),
                [new HealthCheckBody("reachable", nameof(HealthStatus.Unhealthy), "the service does not answer", 0)]);
        }
    }
}

public sealed record PlatformHealthReport(string Status, IReadOnlyList<ServiceHealth> Services);

public sealed record ServiceHealth(string Name, string Status, IReadOnlyList<HealthCheckBody> Checks);
