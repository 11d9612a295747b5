using CartoSelfHosted.MapsApi.Maps;
using CartoSelfHosted.MapsApi.Sql;
using CartoSelfHosted.MapsApi.Widgets;
using CartoSelfHosted.Platform.Tiles;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.MapsApi.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddApiTokenAuthentication();
        builder.AddDataConnections();
        builder.AddRedisCache();
        // Batch SQL jobs are recorded with their message; the outbox publishes it to sql-worker.
        builder.AddJobs();
        builder.AddOutbox();

        builder.Services.Configure<SqlApiOptions>(builder.Configuration.GetSection("SqlApi"));
        builder.Services.AddSingleton<SqlQueryRunner>();
        builder.Services.AddSingleton<WidgetService>();
        builder.Services.AddSingleton<TableColumns>();

        builder.Services.Configure<MapsApiOptions>(builder.Configuration.GetSection("MapsApi"));
        builder.Services.AddSingleton<PreparedTileTables>();
        builder.Services.AddSingleton(services => TileDataSource.Create(services.GetRequiredService<WarehouseDatabase>(),
            services.GetRequiredService<IOptions<MapsApiOptions>>().Value, services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton<MapSourceStore>();
        builder.Services.AddSingleton<MapSourceResolver>();
        builder.Services.AddSingleton<SourceStatsReader>();
        builder.Services.AddSingleton<TileRenderer>();
        builder.Services.AddSingleton<QuadbinTileRenderer>();
        builder.Services.AddSingleton<MapService>();
        builder.Services.AddSingleton<MapCaching>();
    }
}
