using CartoSelfHosted.MapsApi.Sql;

namespace CartoSelfHosted.MapsApi.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddApiTokenAuthentication();
        builder.AddWarehouse();
        builder.AddRedisCache();
        // Batch SQL jobs are recorded with their message; the outbox publishes it to sql-worker.
        builder.AddJobs();
        builder.AddOutbox();

        builder.Services.Configure<SqlApiOptions>(builder.Configuration.GetSection("SqlApi"));
        builder.Services.AddSingleton<SqlQueryRunner>();
    }
}
