using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CartoSelfHosted.ServiceDefaults.Telemetry;

/// <summary>
/// OpenTelemetry wired by hand: the hosting and instrumentation packages cannot be restored here, but ASP.NET
/// Core, HttpClient and Npgsql emit activities and meters natively, so listening to their sources is enough.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>The activity source and meter name prefix of the platform's own code.</summary>
    public const string PlatformSourcePrefix = "CartoSelfHosted";

    private static readonly string[] ActivitySources = ["Microsoft.AspNetCore", "System.Net.Http", "Npgsql", $"{PlatformSourcePrefix}.*"];

    private static readonly string[] Meters =
    [
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime",
        "Npgsql", $"{PlatformSourcePrefix}.*",
    ];

    public static IHostApplicationBuilder ConfigurePlatformTelemetry(this IHostApplicationBuilder builder)
    {
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName;
        var otlpEndpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var exportOtlp = !string.IsNullOrWhiteSpace(otlpEndpoint);
        var resource = ResourceBuilder.CreateDefault().AddService(serviceName);

        // Log lines carry the trace and span ids, with or without an exporter, so a message can be followed by id.
        builder.Logging.Configure(options =>
            options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        // One line per entry; whoever collects the output (AppHost, a container runtime) stamps the time.
        builder.Logging.AddSimpleConsole(options =>
        {
            options.IncludeScopes = true;
            options.SingleLine = true;
        });

        if (exportOtlp)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.SetResourceBuilder(resource);
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
                logging.AddOtlpExporter();
            });
        }

        // The tracer provider exists even without an exporter: activities are only created when something listens,
        // and the trace ids in logs and in propagated headers depend on them.
        var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
            .AddSource(ActivitySources);
        if (exportOtlp)
        {
            tracing.AddOtlpExporter();
        }
        builder.Services.AddSingleton(tracing.Build());

        if (exportOtlp)
        {
            var metrics = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource)
                .AddMeter(Meters)
                .AddOtlpExporter();
            builder.Services.AddSingleton(metrics.Build());
        }

        Activity.DefaultIdFormat = ActivityIdFormat.W3C;
        return builder;
    }
}
