using System.Collections.Concurrent;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// What <c>restart: always</c> does in CARTO Self-Hosted's compose file, which Aspire does not do for executables: a
/// resource whose process ends without having been asked to stop is started again, after 1 s doubling to 30 s
/// (back to 1 s once it has run 30 s). A stop asked for on the dashboard, or the platform's own stop, is left alone.
/// Each restart is counted in the resource's <c>restarts</c> property, which the dashboard shows.
/// </summary>
public sealed class CrashedResourceRestarter(
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    IHostApplicationLifetime lifetime,
    ILogger<CrashedResourceRestarter> logger)
{
    public const string RestartsProperty = "restarts";

    // Aspire runs its dashboard as an executable resource too; it is Aspire's to look after.
    private const string DashboardResourceName = "aspire-dashboard";

    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Instance> _instances = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts watching from the moment the resources are about to start. (A hosted service would start only once
    /// Aspire's orchestrator has started every resource, which a crash before then would hold up for good.)
    /// </summary>
    public static void Register(IDistributedApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CrashedResourceRestarter>();
        builder.Eventing.Subscribe<BeforeStartEvent>((start, cancellationToken) =>
        {
            _ = start.Services.GetRequiredService<CrashedResourceRestarter>().WatchAsync();
            return Task.CompletedTask;
        });
    }

    private async Task WatchAsync()
    {
        var stoppingToken = lifetime.ApplicationStopped;
        try
        {
            await WatchAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The platform has stopped.
        }
    }

    private async Task WatchAsync(CancellationToken stoppingToken)
    {
        await foreach (var update in notifications.WatchAsync(stoppingToken))
        {
            if (update.Resource is not (ExecutableResource or ProjectResource) || update.Resource.Name == DashboardResourceName)
            {
                continue;
            }
            var instance = _instances.GetOrAdd(update.ResourceId, _ => new Instance());
            var state = update.Snapshot.State?.Text;
            if (state != instance.State && !string.IsNullOrEmpty(state))
            {
                // The console says what the dashboard shows, for whoever runs the platform without a browser at hand.
                logger.LogInformation("{Resource}: {State}", update.ResourceId, state);
            }
            if (state == KnownResourceStates.Running && instance.State != KnownResourceStates.Running)
            {
                instance.RunningSince = DateTimeOffset.UtcNow;
            }
            else if (state == KnownResourceStates.Stopping)
            {
                instance.StopRequested = true;
            }
            else if (state == KnownResourceStates.Starting)
            {
                instance.StopRequested = false;
            }
            else if ((state == KnownResourceStates.Finished || state == KnownResourceStates.Exited)
                     && instance.State == KnownResourceStates.Running && !instance.StopRequested && !lifetime.ApplicationStopping.IsCancellationRequested)
            {
                var delay = DateTimeOffset.UtcNow - instance.RunningSince >= LongestDelay ? FirstDelay
                    : TimeSpan.FromTicks(Math.Min(LongestDelay.Ticks, Math.Max(FirstDelay.Ticks, instance.LastDelay.Ticks * 2)));
                instance.LastDelay = delay;
                instance.Restarts++;
                _ = RestartAsync(update.Resource, update.ResourceId, instance.Restarts, update.Snapshot.ExitCode, delay, stoppingToken);
            }
            instance.State = state;
        }
    }

    private async Task RestartAsync(IResource resource, string resourceId, int restarts, int? exitCode, TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            logger.LogWarning("{Resource} ended by itself (exit code {ExitCode}): starting it again in {Delay} s (restart {Restarts})",
                resourceId, exitCode, delay.TotalSeconds, restarts);
            await notifications.PublishUpdateAsync(resource, resourceId, snapshot => snapshot with
            {
                Properties = [.. snapshot.Properties.Where(property => property.Name != RestartsProperty),
                    new ResourcePropertySnapshot(RestartsProperty, restarts)],
            });
            await Task.Delay(delay, stoppingToken);
            var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, stoppingToken);
            if (!result.Success)
            {
                logger.LogError("{Resource} could not be started again: {Error}", resourceId, result.Message);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The platform is stopping: nothing is started again.
        }
    }

    private sealed class Instance
    {
        public string? State { get; set; }

        public bool StopRequested { get; set; }

        public DateTimeOffset RunningSince { get; set; }

        public TimeSpan LastDelay { get; set; }

        public int Restarts { get; set; }
    }
}
