using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CartoSelfHosted.Platform.Messaging;

/// <summary>
/// The emulator answers its root path with 200 "Ok"; against Google Cloud there is nothing cheap to ask, so it is
/// assumed up. Descriptions name no address: the platform health endpoint is public.
/// </summary>
public sealed class PubSubHealthCheck(PubSubOptions options) : IHealthCheck, IDisposable
{
    // Its own client, outside the retrying defaults: a health probe reports what it sees now, once.
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(3) };

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (options.EmulatorHost is null)
        {
            return HealthCheckResult.Healthy("Google Cloud Pub/Sub");
        }
        try
        {
            using var response = await _client.GetAsync(options.BaseAddress, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy("emulator")
                : new HealthCheckResult(context.Registration.FailureStatus, $"the emulator answered {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "the emulator does not answer", ex);
        }
    }

    public void Dispose() => _client.Dispose();
}
