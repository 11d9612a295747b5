using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CartoSelfHosted.Platform.Messaging;

/// <summary>The emulator answers its root path with 200 "Ok"; against Google Cloud there is nothing cheap to ask, so it is assumed up.</summary>
public sealed class PubSubHealthCheck(PubSubOptions options, IHttpClientFactory httpClients) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (options.EmulatorHost is null)
        {
            return HealthCheckResult.Healthy("Google Cloud Pub/Sub");
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            using var response = await httpClients.CreateClient(nameof(PubSubHealthCheck)).GetAsync(options.BaseAddress, timeout.Token);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy($"emulator at {options.EmulatorHost}")
                : new HealthCheckResult(context.Registration.FailureStatus, $"emulator answered {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"emulator at {options.EmulatorHost} does not answer", ex);
        }
    }
}
