using System.Collections.Concurrent;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// Every resource's console output, also kept in <c>.data/logs/&lt;name&gt;.log</c>: the dashboard holds it only while
/// the platform runs, and a crash is often read about after the stop.
/// </summary>
public sealed class ResourceLogFiles(ResourceNotificationService notifications, ResourceLoggerService logs, IHostApplicationLifetime lifetime)
{
    private readonly ConcurrentDictionary<string, Task> _followed = new(StringComparer.Ordinal);

    public static void Register(IDistributedApplicationBuilder builder, string directory)
    {
        builder.Services.AddSingleton<ResourceLogFiles>();
        builder.Eventing.Subscribe<BeforeStartEvent>((start, cancellationToken) =>
        {
            Directory.CreateDirectory(directory);
            _ = start.Services.GetRequiredService<ResourceLogFiles>().FollowAsync(directory);
            return Task.CompletedTask;
        });
    }

    private async Task FollowAsync(string directory)
    {
        var stoppingToken = lifetime.ApplicationStopped;
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                if (update.Resource is ExecutableResource or ProjectResource)
                {
                    _ = _followed.GetOrAdd(update.ResourceId,
                        id => CopyAsync(id, Path.Combine(directory, update.Resource.Name + ".log"), stoppingToken));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The platform has stopped.
        }
    }

    private async Task CopyAsync(string resourceId, string path, CancellationToken stoppingToken)
    {
        await using var writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        try
        {
            await foreach (var batch in logs.WatchAsync(resourceId).WithCancellation(stoppingToken))
            {
                foreach (var line in batch)
                {
                    await writer.WriteLineAsync(line.Content);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The platform has stopped.
        }
    }
}
