using System.Text.Json;

namespace CartoSelfHosted.AppHost.Hosting;

public enum HealthState { Unknown, Healthy, Degraded, Unhealthy }

/// <summary>How to start a resource's process. <see cref="RunAsUser"/> applies only when AppHost runs as root.</summary>
public sealed record ProcessSpec(
    string FileName,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    string? RunAsUser = null);

/// <summary>A resource that AppHost runs as a local process on loopback.</summary>
public abstract class ExecutableResource(string name) : Resource(name)
{
    /// <summary>One-time work before the first start: data directories, rendered configuration.</summary>
    public virtual Task PrepareAsync(RunContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    public abstract ProcessSpec CreateProcessSpec(RunContext context);

    /// <summary>Asked until it answers Healthy or Degraded (ready), then every few seconds for the dashboard.</summary>
    public abstract Task<HealthState> ProbeAsync(RunContext context, CancellationToken cancellationToken);

    /// <summary>Work once the process first answers (PostgreSQL: create the databases).</summary>
    public virtual Task OnReadyAsync(RunContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The signal that asks this process to stop cleanly.</summary>
    public virtual int StopSignal => ProcessSignals.SIGTERM;
}

/// <summary>The probes the resources share.</summary>
public static class Probes
{
    /// <summary>Healthy on 200; for a .NET service the JSON <c>status</c> of its <c>/health</c> tells Healthy from Degraded.</summary>
    public static async Task<HealthState> HttpAsync(RunContext context, string url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await context.ProbeClient.GetAsync(url, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return HealthState.Unhealthy;
            }
            if (response.Content.Headers.ContentType?.MediaType != "application/json")
            {
                return HealthState.Healthy;
            }
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            return body.RootElement.ValueKind == JsonValueKind.Object
                && body.RootElement.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String
                && Enum.TryParse<HealthState>(status.GetString(), out var state)
                ? state
                : HealthState.Healthy;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return HealthState.Unhealthy;
        }
    }
}
