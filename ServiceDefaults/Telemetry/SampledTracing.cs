using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CartoSelfHosted.ServiceDefaults.Telemetry;

/// <summary>
/// Endpoint metadata: record one request in <see cref="OneIn"/> (and the spans under it); the others are not traced.
/// For endpoints called thousands of times a second (a tile), each as cheap as its own trace.
/// </summary>
public sealed record SampledTracing(int OneIn);

public static class SampledTracingExtensions
{
    /// <summary>
    /// After routing, since the endpoint decides: OpenTelemetry's ASP.NET Core instrumentation samples when the request
    /// starts, before the endpoint is known, so a request left out is unmarked here and nothing under it is recorded. A
    /// request that comes with its caller's trace (router-http, which samples the same routes) keeps the caller's choice:
    /// sampling it again would leave the caller's spans without the service's and trace one in N² requests.
    /// </summary>
    public static IApplicationBuilder UseSampledTracing(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (Activity.Current is { Recorded: true, HasRemoteParent: false } activity
                && context.GetEndpoint()?.Metadata.GetMetadata<SampledTracing>() is { } sampled
                && Random.Shared.Next(sampled.OneIn) != 0)
            {
                activity.IsAllDataRequested = false;
                activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            }
            return next(context);
        });
}
