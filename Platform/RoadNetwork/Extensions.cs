using System.ComponentModel;
using CartoSelfHosted.Platform.RoadNetwork;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

public static class RoadNetworkExtensions
{
    /// <summary>
    /// The warehouse's road network: loaded in the background at start when missing or outdated (the service answers meanwhile,
    /// and <see cref="RoadNetworkState"/> says it is not ready), or, with <c>RoadNetwork:LoadAtStart</c> false, taken as it is.
    /// </summary>
    public static IHostApplicationBuilder AddRoadNetwork(this IHostApplicationBuilder builder)
    {
        builder.AddWarehouse();
        builder.Services.Configure<RoadNetworkOptions>(builder.Configuration.GetSection(RoadNetworkOptions.SectionName));
        builder.Services.AddSingleton<RoadNetworkLoader>();
        builder.Services.AddSingleton<RoadNetworkState>();
        builder.Services.AddHostedService<RoadNetworkLoadingService>();
        return builder;
    }
}

internal sealed class RoadNetworkLoadingService(RoadNetworkLoader loader, RoadNetworkState state, IOptions<RoadNetworkOptions> options,
    ILogger<RoadNetworkLoadingService> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.LoadAtStart)
        {
            state.Ready();
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await loader.LoadAsync(new RoadNetworkSources(options.Value.DataDirectory), stoppingToken);
                state.Ready();
                return;
            }
            catch (Exception ex) when (ex is FileNotFoundException or Win32Exception or InvalidOperationException or PostgresException)
            {
                // Missing files or osm2pgrouting, osm2pgrouting failing, or PostgreSQL refusing the load: trying again would fail
                // again. An older network, when there is one, is still there (the load's transaction rolled back) and serves.
                logger.LogError(ex, "Loading the road network failed");
                if (await loader.LoadedVersionAsync(stoppingToken) is null)
                {
                    state.Failed($"The road network failed to load: {ex.Message}");
                    return;
                }
                state.Ready();
                return;
            }
            catch (NpgsqlException ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Loading the road network failed; trying again in {Delay}", RetryDelay);
                await Task.Delay(RetryDelay, stoppingToken);
            }
        }
    }
}
