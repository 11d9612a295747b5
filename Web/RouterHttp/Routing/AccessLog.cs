using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.AspNetCore.HttpLogging;
using Yarp.ReverseProxy.Model;

namespace CartoSelfHosted.RouterHttp.Routing;

/// <summary>
/// One line per request (ASP.NET Core's HTTP logging, combined): method, path, status, time, the caller's address, the
/// request id, the upstream that answered and the cache's verdict. Never the query string or a header beyond those:
/// CARTO's clients may put a token in the URL (<c>access_token</c>), and secrets stay out of logs.
/// </summary>
public static class AccessLog
{
    public const string CacheHeader = "X-Cache";

    public static IHostApplicationBuilder AddAccessLog(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpLogging(options =>
        {
            options.LoggingFields = HttpLoggingFields.RequestMethod | HttpLoggingFields.RequestPath
                | HttpLoggingFields.ResponseStatusCode | HttpLoggingFields.Duration;
            options.CombineLogs = true;
        });
        builder.Services.AddHttpLoggingInterceptor<AccessLogFields>();
        return builder;
    }

    public static IApplicationBuilder UseAccessLog(this IApplicationBuilder app) => app.UseHttpLogging();

    private sealed class AccessLogFields : IHttpLoggingInterceptor
    {
        public ValueTask OnRequestAsync(HttpLoggingInterceptorContext logContext)
        {
            var context = logContext.HttpContext;
            // The orchestrator's health probes, every few seconds, would bury the requests people make.
            if (context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.HealthPath)
                || context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.AlivePath))
            {
                logContext.LoggingFields = HttpLoggingFields.None;
                return ValueTask.CompletedTask;
            }
            logContext.AddParameter("RemoteAddress", context.Connection.RemoteIpAddress?.ToString());
            logContext.AddParameter("RequestId", context.Request.Headers[ProblemDetailsExtensions.RequestIdHeader].ToString());
            return ValueTask.CompletedTask;
        }

        public ValueTask OnResponseAsync(HttpLoggingInterceptorContext logContext)
        {
            if (logContext.LoggingFields == HttpLoggingFields.None)
            {
                return ValueTask.CompletedTask;
            }
            var context = logContext.HttpContext;
            if (context.Features.Get<IReverseProxyFeature>()?.ProxiedDestination is { } destination)
            {
                logContext.AddParameter("Upstream", destination.Model.Config.Address);
                logContext.AddParameter("Cache", context.Response.Headers[CacheHeader].ToString());
            }
            if (context.Response.ContentLength is { } bytes)
            {
                logContext.AddParameter("Bytes", bytes);
            }
            return ValueTask.CompletedTask;
        }
    }
}
