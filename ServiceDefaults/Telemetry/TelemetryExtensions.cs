using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CartoSelfHosted.ServiceDefaults.Telemetry;

/// <summary>OpenTelemetry as Aspire's service-defaults template wires it, plus the platform's own sources.</summary>
public static class TelemetryExtensions
{
    /// <summary>The activity source and meter name prefix of the platform's own code.</summary>
    public const string PlatformSourcePrefix = "CartoSelfHosted";

    /// <summary>The names of the HttpClients the OTLP exporters ask IHttpClientFactory for.</summary>
    private static readonly IReadOnlyList<string> OtlpExporterClients = ["OtlpTraceExporter", "OtlpMetricExporter", "OtlpLogExporter"];

    public static IHostApplicationBuilder ConfigurePlatformTelemetry(this IHostApplicationBuilder builder, params PathString[] untracedPaths)
    {
        // Log lines carry the trace and span ids, with or without an exporter, so a message can be followed by id.
        builder.Logging.Configure(options =>
            options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        // One line per entry; whoever collects the output (AppHost, a container runtime) stamps the time.
        builder.Logging.AddSimpleConsole(options =>
        {
            options.IncludeScopes = true;
            options.SingleLine = true;
        });
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter($"{PlatformSourcePrefix}.*"))
            .WithTracing(tracing => tracing
                // Health requests, asked every few seconds by the orchestrator, would bury every other trace.
                .AddAspNetCoreInstrumentation(aspNetCore =>
                    aspNetCore.Filter = context => !untracedPaths.Contains(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource($"{PlatformSourcePrefix}.*"));

        // The providers exist even without an exporter: activities are only created when something listens, and the
        // trace ids in logs and in propagated headers depend on them.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
            // The exporters make their HttpClients through IHttpClientFactory, so the standard resilience handler of
            // ConfigureHttpClientDefaults would wrap them too. They retry on their own, and at shutdown that handler is
            // disposed before the last logs are flushed: each stop then spent 5 s in the exporter's retries and lost them.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked for evaluation; Aspire's docs use it for this.
            foreach (var exporterClient in OtlpExporterClients)
            {
                builder.Services.AddHttpClient(exporterClient).RemoveAllResilienceHandlers();
            }
#pragma warning restore EXTEXP0001
        }
        return builder;
    }
}
