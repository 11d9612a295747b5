using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// The platform's stop, in the order compose stops a CARTO Self-Hosted install: the .NET services first, then the
/// servers they use. DCP stops every resource at once, so a service would flush its last acknowledgements, outbox
/// and telemetry into a database, broker and dashboard already gone, and wait on them for seconds. So when the
/// platform is asked to stop, each service gets SIGTERM, and the stop goes on to DCP once the services have ended,
/// or after <see cref="Patience"/>.
/// </summary>
public sealed class ServicesStopFirst(ResourceNotificationService notifications, IHostApplicationLifetime lifetime, ILogger<ServicesStopFirst> logger)
{
    private const string PidProperty = "executable.pid";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, int> _runningPids = new(StringComparer.Ordinal);

    public static void Register(IDistributedApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ServicesStopFirst>();
        builder.Eventing.Subscribe<BeforeStartEvent>((start, cancellationToken) =>
        {
            _ = start.Services.GetRequiredService<ServicesStopFirst>().FollowAsync();
            return Task.CompletedTask;
        });
    }

    private async Task FollowAsync()
    {
        var stoppedToken = lifetime.ApplicationStopped;
        // Stopping callbacks run before the host stops Aspire's orchestrator, which is what stops the servers.
        lifetime.ApplicationStopping.Register(StopServices);
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppedToken))
            {
                if (update.Resource is not ProjectResource)
                {
                    continue;
                }
                var pid = update.Snapshot.Properties.FirstOrDefault(property => property.Name == PidProperty)?.Value;
                if (update.Snapshot.State?.Text == KnownResourceStates.Running
                    && int.TryParse(Convert.ToString(pid, CultureInfo.InvariantCulture), NumberStyles.None, CultureInfo.InvariantCulture, out var running))
                {
                    _runningPids[update.ResourceId] = running;
                }
                else
                {
                    _runningPids.TryRemove(update.ResourceId, out _);
                }
            }
        }
        catch (OperationCanceledException) when (stoppedToken.IsCancellationRequested)
        {
            // The platform has stopped.
        }
    }

    private void StopServices()
    {
        var processes = _runningPids.Values.Distinct().Select(TryGetProcess).OfType<Process>().ToList();
        if (processes.Count == 0)
        {
            return;
        }
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", .. processes.Select(process => process.Id.ToString(CultureInfo.InvariantCulture))]));
            kill?.WaitForExit();
            var deadline = Stopwatch.StartNew();
            foreach (var process in processes)
            {
                var left = Patience - deadline.Elapsed;
                if (left <= TimeSpan.Zero || !process.WaitForExit(left))
                {
                    logger.LogWarning("{Service} (pid {Pid}) has not stopped within {Patience} s; DCP stops it", process.ProcessName, process.Id, Patience.TotalSeconds);
                }
            }
        }
        catch (Exception exception) when (exception is Win32Exception or InvalidOperationException)
        {
            logger.LogWarning(exception, "Could not stop the services before the servers; DCP stops them all at once");
        }
        finally
        {
            processes.ForEach(process => process.Dispose());
        }
    }

    private static Process? TryGetProcess(int pid)
    {
        try
        {
            return Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return null; // It has ended already.
        }
    }
}
