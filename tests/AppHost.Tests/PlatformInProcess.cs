using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>One resource as Aspire sees it: its state, health, process and how often it was started again.</summary>
public sealed record ResourceState(string Name, string ResourceId, string? State, string? Health, int? Pid, int Restarts);

/// <summary>
/// AppHost run in the test process by Aspire.Hosting.Testing, with its dashboard: the tests read each resource's state
/// from Aspire's own notifications and act on it with Aspire's own commands, as the dashboard does.
/// </summary>
public sealed class PlatformInProcess : PlatformUnderTest, IAsyncDisposable
{
    private const string DashboardResourceName = "aspire-dashboard";

    private readonly DistributedApplication _app;
    private readonly ConcurrentDictionary<string, ResourceEvent> _latest = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    private PlatformInProcess(DistributedApplication app, string dataDirectory, IReadOnlyDictionary<string, int> ports) : base(dataDirectory, ports)
    {
        _app = app;
        _ = WatchAsync();
    }

    public static async Task<PlatformInProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, int> ports, CancellationToken cancellationToken,
        IReadOnlyList<string>? settings = null)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [.. Arguments(dataDirectory, AsArguments(ports)), .. settings ?? []],
            (options, _) => options.DisableDashboard = false,
            cancellationToken);
        var app = await builder.BuildAsync(cancellationToken);
        var platform = new PlatformInProcess(app, dataDirectory, ports);
        await app.StartAsync(cancellationToken);
        return platform;
    }

    public override string Output => string.Join('\n', _latest.Values.OrderBy(update => update.Resource.Name)
        .Select(update => $"{update.ResourceId}: {update.Snapshot.State?.Text} {update.Snapshot.HealthStatus}"));

    protected override void ThrowIfEnded()
    {
    }

    /// <summary>The resources the dashboard lists (Aspire's hidden helpers, such as a project's rebuilder, are left out).</summary>
    public IReadOnlyList<ResourceState> Resources() =>
        _latest.Values.Where(update => !update.Snapshot.IsHidden).Select(ToState).OrderBy(state => state.Name).ToList();

    /// <summary>
    /// Where Aspire.Hosting.Testing put the dashboard: behind ports of its own choosing, with a browser token and an
    /// API key, as Aspire sets it up by default.
    /// </summary>
    public override Uri Dashboard => new(DashboardLogin.GetLeftPart(UriPartial.Authority));

    public override Uri DashboardLogin => new(DashboardSnapshot().Urls.First(url => url.Url.StartsWith("http://", StringComparison.Ordinal)
        && url.Url.Contains("/login", StringComparison.Ordinal)).Url);

    public override string? DashboardApiKey =>
        DashboardSnapshot().EnvironmentVariables.Single(variable => variable.Name == "DASHBOARD__API__PRIMARYAPIKEY").Value;

    private CustomResourceSnapshot DashboardSnapshot() => _latest.TryGetValue(DashboardResourceName, out var dashboard)
        ? dashboard.Snapshot
        : throw new InvalidOperationException($"The dashboard has not started:\n{Output}");

    public ResourceState Resource(string name) => _latest.TryGetValue(name, out var update)
        ? ToState(update)
        : throw new InvalidOperationException($"Aspire has said nothing yet of {name}:\n{Output}");

    /// <summary>Waits for a condition on Aspire's view of one resource.</summary>
    public async Task<ResourceState> WaitForResourceAsync(string name, Func<ResourceState, bool> condition, TimeSpan timeout)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        ResourceState state;
        do
        {
            state = Resource(name);
            if (condition(state))
            {
                return state;
            }
            await Task.Delay(200);
        }
        while (deadline.Elapsed < timeout);
        throw new TimeoutException($"{name} is still {state} after {timeout}");
    }

    /// <summary>Runs one of the resource's commands (<see cref="KnownResourceCommands"/>), as the dashboard's buttons do.</summary>
    public async Task ExecuteAsync(string name, string command)
    {
        var result = await _app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(Resource(name).ResourceId, command);
        if (!result.Success)
        {
            throw new InvalidOperationException($"{command} of {name}: {result.Message}");
        }
    }

    /// <summary>
    /// The process that does a service's work. Aspire starts a project under <c>dotnet run</c>, whose child it is; a
    /// server is the resource's own process.
    /// </summary>
    public async Task<int> WorkingProcessAsync(string name)
    {
        var pid = Resource(name).Pid ?? throw new InvalidOperationException($"{name} has no process:\n{Output}");
        if (!ProcessSignals.CommandLine(pid).StartsWith("dotnet run", StringComparison.Ordinal))
        {
            return pid;
        }
        // Just after a start the wrapper may not have started the service yet.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (ProcessSignals.Children(pid).FirstOrDefault() is var child and > 0)
            {
                return child;
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"{name}'s dotnet run ({pid}) started no process:\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Http.Dispose();
        _stopping.Dispose();
    }

    private async Task WatchAsync()
    {
        try
        {
            await foreach (var update in _app.Services.GetRequiredService<ResourceNotificationService>().WatchAsync(_stopping.Token))
            {
                _latest[update.Resource.Name] = update;
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The platform is stopping.
        }
    }

    private static ResourceState ToState(ResourceEvent update)
    {
        var properties = update.Snapshot.Properties;
        var pid = properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value;
        var restarts = properties.FirstOrDefault(property => property.Name == "restarts")?.Value;
        return new ResourceState(update.Resource.Name, update.ResourceId, update.Snapshot.State?.Text, update.Snapshot.HealthStatus?.ToString(),
            pid is null ? null : Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture),
            restarts is null ? 0 : Convert.ToInt32(restarts, System.Globalization.CultureInfo.InvariantCulture));
    }
}
