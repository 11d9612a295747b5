using CartoSelfHosted.Platform.Imports;

namespace CartoSelfHosted.ImportApi.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddApiTokenAuthentication();
        // The destination table is looked up as the organization before a job is recorded.
        builder.AddDataConnections();
        // Jobs are recorded with their message; the outbox publishes it to import-worker.
        builder.AddJobs();
        builder.AddOutbox();
        builder.AddObjectStorage();
        builder.Services.Configure<ImportOptions>(builder.Configuration.GetSection(ImportOptions.SectionName));
    }
}
