using System.Collections.Frozen;
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

    /// <summary>
    /// Instruments that .NET records on every request (or every buffer a server rents) and that say nothing the others do
    /// not: requests in flight (the request durations' rate), routing attempts, a request's wait for a pooled connection,
    /// an authentication's duration (the request's own), the buffers rented. Each costs a few microseconds a request
    /// with its tags, and a cached tile through the router is a hundred or two (bench/README.md, tiles).
    /// </summary>
    private static readonly FrozenSet<string> PerRequestInstrumentsLeftOut = FrozenSet.Create(StringComparer.Ordinal,
        "http.server.active_requests", "aspnetcore.routing.match_attempts", "http.client.active_requests",
        "http.client.request.time_in_queue", "aspnetcore.authentication.authenticate.duration", "aspnetcore.memory_pool.rented");

    /// <summary>The names of the HttpClients the OTLP exporters ask IHttpClientFactory for.</summary>
    private static readonly IReadOnlyList<string> OtlpExporterClients = ["OtlpTraceExporter", "OtlpMetricExporter", "OtlpLogExporter"];

    public static IHostApplicationBuilder ConfigurePlatformTelemetry(this IHostApplicationBuilder builder, params PathString[] untracedPaths)
    {
        // Log lines carry the trace and span ids, with or without an exporter, so a message can be followed by id.
        builder.Logging.Configure(options =>
            options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        // The host writes every request's path: in its "Request starting GET <URL>" lines and, as the scope "RequestPath",
        // into every line logged while the request runs — a token named in the path (CARTO's Tokens API) among them,
        // whatever level the rest of ASP.NET Core logs at. With its category off it makes neither (the scope only when the
        // category logs at all); lines keep the trace and span ids, traces the path (redacted), and the router's access
        // log records requests. What else it logs is a failed start, which also ends the process with the exception.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
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
                .AddMeter($"{PlatformSourcePrefix}.*")
                .AddView(instrument => PerRequestInstrumentsLeftOut.Contains(instrument.Name) ? MetricStreamConfiguration.Drop : null))
            .WithTracing(tracing => tracing
                // Health requests, asked every few seconds by the orchestrator, would bury every other trace.
                .AddAspNetCoreInstrumentation(aspNetCore =>
                {
                    aspNetCore.Filter = context => !untracedPaths.Contains(context.Request.Path);
                    // A token named in the path (CARTO's Tokens API) is a credential: never a trace attribute.
                    aspNetCore.EnrichWithHttpRequest = (activity, request) =>
                    {
                        if (TokenRedaction.RedactPath(request.Path.Value) is { } redacted)
                        {
                            activity.SetTag("url.path", redacted);
                        }
                    };
                })
                .AddHttpClientInstrumentation(httpClient => httpClient.EnrichWithHttpRequestMessage = (activity, request) =>
                {
                    if (request.RequestUri is { } uri && TokenRedaction.RedactPath(uri.AbsolutePath) is { } redacted
                        && activity.GetTagItem("url.full") is string full)
                    {
                        activity.SetTag("url.full", full.Replace(uri.AbsolutePath, redacted, StringComparison.Ordinal));
                    }
                })
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
