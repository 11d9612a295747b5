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
        var tracerProvider = tracing.Build();

        var meterProvider = exportOtlp
            ? Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(Meters).AddOtlpExporter().Build()
            : null;

        builder.Services.AddHostedService(_ => new TelemetryFlush(tracerProvider, meterProvider));
        return builder;
    }
}

/// <summary>
/// Owns the providers: built before the host so the first request is traced, flushed and disposed when it stops so
/// the last batch is not lost (instances registered in DI would never be disposed).
/// </summary>
internal sealed class TelemetryFlush(TracerProvider tracerProvider, MeterProvider? meterProvider) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        tracerProvider.ForceFlush(5000);
        tracerProvider.Dispose();
        meterProvider?.ForceFlush(5000);
        meterProvider?.Dispose();
        return Task.CompletedTask;
    }
}
