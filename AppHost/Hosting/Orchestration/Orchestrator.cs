using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// Runs every executable resource of the model for the life of the host and stops them all when it stops:
/// dependents first (the router before the APIs, the APIs before the databases).
/// </summary>
public sealed class Orchestrator : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ProcessLauncher _launcher = new();
    private readonly List<Task> _runs = [];
    private readonly DistributedApplicationModel _model;
    private readonly Stopwatch _uptime = Stopwatch.StartNew();

    public Orchestrator(DistributedApplicationModel model, RunContext context)
    {
        _model = model;
        Runners = model.Resources.OfType<ExecutableResource>()
            .ToDictionary(resource => (Resource)resource, resource => new ResourceRunner(resource, context, _launcher, Report));
    }

    public IReadOnlyDictionary<Resource, ResourceRunner> Runners { get; }

    /// <summary>Completes when every resource has answered its probe once.</summary>
    public Task AllReady => Task.WhenAll(Runners.Values.Select(runner => runner.Ready));

    public ResourceRunner? Find(string name) =>
        Runners.Values.FirstOrDefault(runner => string.Equals(runner.Resource.Name, name, StringComparison.OrdinalIgnoreCase));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var runner in Runners.Values)
        {
            _runs.Add(Task.Run(() => runner.RunAsync(Runners, _shutdown.Token), CancellationToken.None));
        }
        _ = AllReady.ContinueWith(_ => Report($"every resource is ready ({_uptime.Elapsed.TotalSeconds:F1} s after start)"),
            _shutdown.Token, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Report("stopping every resource");
        await _shutdown.CancelAsync();

        // A resource stops once everything that waits for it has stopped.
        var stops = new Dictionary<ResourceRunner, Task>();
        Task StopInOrder(ResourceRunner runner)
        {
            if (stops.TryGetValue(runner, out var existing))
            {
                return existing;
            }
            var dependents = Runners.Values.Where(other => other.Resource.WaitsFor.Contains(runner.Resource)).ToList();
            var stop = Task.WhenAll(dependents.Select(StopInOrder)).ContinueWith(_ => runner.StopProcessAsync(), TaskScheduler.Default).Unwrap();
            stops[runner] = stop;
            return stop;
        }
        await Task.WhenAll(Runners.Values.Select(StopInOrder).ToList());
        await Task.WhenAll(_runs);
        Report($"stopped ({_model.Resources.OfType<ExecutableResource>().Count()} resources)");
    }

    private static void Report(string message) => Console.WriteLine($"apphost: {message}");

    public void Dispose()
    {
        _launcher.Dispose();
        _shutdown.Dispose();
        foreach (var runner in Runners.Values)
        {
            runner.Logs.Dispose();
        }
    }
}
