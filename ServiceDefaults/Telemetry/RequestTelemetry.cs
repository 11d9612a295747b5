using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CartoSelfHosted.ServiceDefaults.Telemetry;

/// <summary>
/// What OpenTelemetry's ASP.NET Core instrumentation package would add to each request's span (it cannot be restored
/// here): a name of method and route, the semantic-convention tags, an error status on a 5xx. Health requests, asked
/// every few seconds by the orchestrator, are not recorded at all; an endpoint marked with <see cref="SampledTracing"/>
/// (a tile: thousands a second, each as cheap as its trace) is recorded one time in N.
/// </summary>
public static class RequestTelemetry
{
    public static IApplicationBuilder UseRequestTelemetry(this IApplicationBuilder app, params PathString[] unrecordedPaths) =>
        app.Use(async (context, next) =>
        {
            var activity = Activity.Current;
            if (activity is null)
            {
                await next(context);
                return;
            }
            if (unrecordedPaths.Contains(context.Request.Path) ||
                context.GetEndpoint()?.Metadata.GetMetadata<SampledTracing>() is { } sampled && Random.Shared.Next(sampled.OneIn) != 0)
            {
                activity.IsAllDataRequested = false;
                activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
                await next(context);
                return;
            }

            await next(context);

            if (!activity.IsAllDataRequested)
            {
                return;
            }
            var method = context.Request.Method;
            // A group's own endpoint ("/api/v3/tokens" + "") has a raw text ending in '/', which no request path carries.
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { Length: > 1 } raw ? raw.TrimEnd('/') : null;
            activity.DisplayName = route is null ? method : $"{method} {route}";
            activity.SetTag("http.request.method", method);
            activity.SetTag("url.path", context.Request.Path.Value);
            activity.SetTag("http.route", route);
            activity.SetTag("http.response.status_code", context.Response.StatusCode);
            if (context.Response.StatusCode >= StatusCodes.Status500InternalServerError)
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }
        });
}

/// <summary>Endpoint metadata: record one request in <see cref="OneIn"/> (and the spans under it); the others are not traced.</summary>
public sealed record SampledTracing(int OneIn);
