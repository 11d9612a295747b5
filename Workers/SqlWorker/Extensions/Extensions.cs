using CartoSelfHosted.Platform.Jobs;
using CartoSelfHosted.Platform.Messaging.Ping;
using CartoSelfHosted.Platform.Messaging.Topology;
using CartoSelfHosted.SqlWorker.Jobs;

namespace CartoSelfHosted.SqlWorker.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddDataConnections();
        builder.AddJobs();
        // The data-changed events of finished jobs leave through the outbox.
        builder.AddOutbox();
        builder.Services.Configure<SqlJobOptions>(builder.Configuration.GetSection("SqlJobs"));
        builder.AddSubscriber(MessagingTopology.Subscriptions.SqlWorker)
            .Handle<PingMessage, PingHandler>()
            .Handle<JobRequested, SqlJobHandler>();
    }
}
