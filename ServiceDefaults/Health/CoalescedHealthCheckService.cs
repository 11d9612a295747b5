using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CartoSelfHosted.ServiceDefaults.Health;

/// <summary>
/// Runs a service's health checks at most once per <see cref="ReuseFor"/> for each set of them (readiness, liveness),
/// however many callers ask at once: they share the run in flight, then its report until it is that old. The platform's
/// health (<c>/api/v3/health</c>, anonymous) asks every service for theirs, and each check takes a database connection:
/// 16 callers at once left every service holding 30 connections, 300 in all, and PostgreSQL refused the platform's own
/// requests ("too many clients"). Coalesced, a burst of callers costs each service one connection per database.
/// </summary>
public sealed class CoalescedHealthCheckService(HealthCheckService checks, TimeProvider time) : HealthCheckService
{
    /// <summary>Short next to the orchestrator's probes (every few seconds), so a dependency going down shows within it.</summary>
    public static readonly TimeSpan ReuseFor = TimeSpan.FromSeconds(1);

    /// <summary>The latest run of every set of checks: the endpoints pass the same predicate each time (a delegate that captures nothing).</summary>
    private readonly Dictionary<object, Run> _latest = [];

    private static readonly object AllChecks = new();

    public override Task<HealthReport> CheckHealthAsync(Func<HealthCheckRegistration, bool>? predicate, CancellationToken cancellationToken = default)
    {
        var key = (object?)predicate ?? AllChecks;
        Run run;
        lock (_latest)
        {
            var now = time.GetTimestamp();
            if (!_latest.TryGetValue(key, out run!) || run.Report.IsCompleted && time.GetElapsedTime(run.StartedAt, now) >= ReuseFor)
            {
                // The checks' own timeouts bound a run; no caller's token does, so one caller giving up cancels nobody else's wait.
                run = _latest[key] = new Run(checks.CheckHealthAsync(predicate, CancellationToken.None), now);
            }
        }
        return run.Report.WaitAsync(cancellationToken);
    }

    private sealed record Run(Task<HealthReport> Report, long StartedAt);

    /// <summary>Puts this in front of the health check service <c>AddHealthChecks</c> registered.</summary>
    public static void Register(IServiceCollection services)
    {
        var registered = services.Last(service => service.ServiceType == typeof(HealthCheckService));
        services.Remove(registered);
        services.AddSingleton<HealthCheckService>(provider => new CoalescedHealthCheckService(
            (HealthCheckService)ActivatorUtilities.CreateInstance(provider, registered.ImplementationType!),
            provider.GetService<TimeProvider>() ?? TimeProvider.System));
    }
}
