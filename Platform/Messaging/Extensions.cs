using CartoSelfHosted.Platform.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

public static class MessagingExtensions
{
    public static IHostApplicationBuilder AddPubSub(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(PubSubOptions.FromConfiguration(builder.Configuration));
        // Degraded, not unhealthy: a service keeps working while the broker is away (messages wait in the outbox).
        builder.Services.AddSingleton<PubSubHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<PubSubHealthCheck>("pubsub", HealthStatus.Degraded);
        return builder;
    }
}
