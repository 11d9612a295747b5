using System.Net.Http.Json;
using CartoSelfHosted.ServiceDefaults.Health;
using CartoSelfHosted.ServiceDefaults.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CartoSelfHosted.WorkspaceApi.Health;

/// <summary>
/// The platform's health as one answer: this service's own checks plus the <c>/health</c> of every service it
/// was given an address for (<c>services__*</c>), asked in parallel.
/// </summary>
public sealed class PlatformHealth(ServiceEndpoints endpoints, HealthCheckService ownChecks) : IDisposable
{
    /// <summary>The name the platform knows this service by (the project's assembly name is WorkspaceApi).</summary>
    public const string ServiceName = "workspace-api";

    // Its own client, outside the retrying defaults: a health probe reports what it sees now, once.
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(5) };

    public async Task<PlatformHealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var own = CheckSelfAsync(cancellationToken);
        var others = endpoints.All
            .Where(service => !string.Equals(service.Key, ServiceName, StringComparison.OrdinalIgnoreCase))
            .Select(service => CheckServiceAsync(service.Key, service.Value, cancellationToken));
        var services = (await Task.WhenAll(others.Append(own))).OrderBy(service => service.Name, StringComparer.Ordinal).ToList();

        var status = services.Any(service => service.Status == nameof(HealthStatus.Unhealthy)) ? nameof(HealthStatus.Unhealthy)
            : services.Any(service => service.Status == nameof(HealthStatus.Degraded)) ? nameof(HealthStatus.Degraded)
            : nameof(HealthStatus.Healthy);
        return new PlatformHealthReport(status, services);
    }

    private async Task<ServiceHealth> CheckSelfAsync(CancellationToken cancellationToken)
    {
        var report = HealthReportBody.From(await ownChecks.CheckHealthAsync(cancellationToken));
        return new ServiceHealth(ServiceName, report.Status, report.Checks);
    }

    private async Task<ServiceHealth> CheckServiceAsync(string name, Uri address, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetAsync(new Uri(address, "/health"), cancellationToken);
            var body = await response.Content.ReadFromJsonAsync<HealthReportBody>(HealthJson.Options, cancellationToken);
            return new ServiceHealth(name, body?.Status ?? nameof(HealthStatus.Unhealthy), body?.Checks ?? []);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return new ServiceHealth(name, nameof(HealthStatus.Unhealthy),
                [new HealthCheckBody("reachable", nameof(HealthStatus.Unhealthy), "the service does not answer", 0)]);
        }
    }

    public void Dispose() => _client.Dispose();
}

public sealed record PlatformHealthReport(string Status, IReadOnlyList<ServiceHealth> Services);

public sealed record ServiceHealth(string Name, string Status, IReadOnlyList<HealthCheckBody> Checks);
