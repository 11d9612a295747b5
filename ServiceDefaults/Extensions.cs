using CartoSelfHosted.ServiceDefaults.Health;
using CartoSelfHosted.ServiceDefaults.Problems;
using CartoSelfHosted.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.Hosting;

/// <summary>What every API and worker of the platform registers and maps, in one call each.</summary>
public static class ServiceDefaultsExtensions
{
    public const string LiveTag = "live";
    public const string HealthPath = "/health";
    public const string AlivePath = "/alive";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigurePlatformTelemetry(HealthPath, AlivePath);

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        CoalescedHealthCheckService.Register(builder.Services);

        builder.Services.AddPlatformProblemDetails();

        // http://maps-api/... resolves through the services__maps-api__http__0 keys AppHost hands each service.
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UsePlatformProblemDetails();

        app.UseSampledTracing();

        // Both are the orchestrator's, not the API's (the router does not route them), so neither is in its document.
        // Readiness: every registered check (databases, broker, cache) must answer.
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync })
            .AllowAnonymous().ExcludeFromDescription();
        // Liveness: only that the process itself answers, so a down dependency never gets it killed.
        app.MapHealthChecks(AlivePath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
            ResponseWriter = HealthReportWriter.WriteAsync,
        }).AllowAnonymous().ExcludeFromDescription();

        return app;
    }
}
