using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CartoSelfHosted.ServiceDefaults.Telemetry;

/// <summary>
/// What OpenTelemetry's ASP.NET Core instrumentation package would add to each request's span (it cannot be restored
/// here): a name of method and route, the semantic-convention tags, an error status on a 5xx. Health requests, asked
/// every few seconds by the orchestrator, are not recorded at all.
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
            if (unrecordedPaths.Contains(context.Request.Path))
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
