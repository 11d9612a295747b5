using CartoSelfHosted.ImportWorker.Imports;
using CartoSelfHosted.Platform.Imports;
using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Messaging.Ping;
using CartoSelfHosted.Platform.Messaging.Topology;

namespace CartoSelfHosted.ImportWorker.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddDataConnections();
        builder.AddJobs();
        // The data-changed events of finished imports leave through the outbox.
        builder.AddOutbox();
        builder.AddObjectStorage();
        builder.Services.Configure<ImportOptions>(builder.Configuration.GetSection(ImportOptions.SectionName));
        builder.Services.Configure<ImportJobOptions>(builder.Configuration.GetSection("ImportJobs"));
        builder.AddSubscriber(MessagingTopology.Subscriptions.ImportWorker)
            .Handle<PingMessage, PingHandler>()
            .Handle<JobRequested, ImportJobHandler>();
    }
}
