using CartoSelfHosted.Platform.Gazetteer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

public static class GazetteerExtensions
{
    /// <summary>
    /// The warehouse's gazetteer: loaded in the background at start when missing or outdated (the service answers meanwhile,
    /// and <see cref="GazetteerState"/> says it is not ready), or, with <c>Gazetteer:LoadAtStart</c> false, taken as it is.
    /// </summary>
    public static IHostApplicationBuilder AddGazetteer(this IHostApplicationBuilder builder)
    {
        builder.AddWarehouse();
        builder.Services.Configure<GazetteerOptions>(builder.Configuration.GetSection(GazetteerOptions.SectionName));
        builder.Services.AddSingleton<GazetteerLoader>();
        builder.Services.AddSingleton<GazetteerState>();
        builder.Services.AddHostedService<GazetteerLoadingService>();
        return builder;
    }
}

internal sealed class GazetteerLoadingService(GazetteerLoader loader, GazetteerState state, IOptions<GazetteerOptions> options,
    ILogger<GazetteerLoadingService> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.LoadAtStart)
        {
            state.Ready();
            return;
        }
        var sources = new GazetteerSources(options.Value.DataDirectory);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await loader.LoadAsync(sources, stoppingToken);
                state.Ready();
                return;
            }
            catch (FileNotFoundException ex)
            {
                // Nothing to retry: the files come with an install and a build.
                logger.LogError("{Reason}", ex.Message);
                state.Failed(ex.Message);
                return;
            }
            catch (PostgresException ex)
            {
                // PostgreSQL refused the load itself: trying again would only be refused again. An older gazetteer, when
                // there is one, is still there (the load's transaction rolled back), and serves meanwhile.
                logger.LogError(ex, "Loading the gazetteer failed");
                if (await loader.LoadedVersionAsync(stoppingToken) is null)
                {
                    state.Failed($"The gazetteer failed to load: {ex.MessageText}");
                    return;
                }
                state.Ready();
                return;
            }
            catch (NpgsqlException ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Loading the gazetteer failed; trying again in {Delay}", RetryDelay);
                await Task.Delay(RetryDelay, stoppingToken);
            }
        }
    }
}
