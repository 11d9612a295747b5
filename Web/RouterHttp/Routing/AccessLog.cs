using CartoSelfHosted.ServiceDefaults.Problems;
using CartoSelfHosted.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.HttpLogging;

namespace CartoSelfHosted.RouterHttp.Routing;

/// <summary>
/// One line per request in W3C's extended log format (ASP.NET Core's W3C logger), in files of its own under the
/// section <c>AccessLog</c>'s <c>Directory</c>: date and time, the caller's address, method, path, status, time taken
/// and the request id. Not through the service's log, which goes to the console and the dashboard: at thousands of
/// cached tiles a second, a log entry per request cost more than the request (half the router's throughput when
/// measured). Never the query string, where CARTO's clients may put a token (<c>access_token</c>), nor a token in the path.
/// </summary>
public static class AccessLog
{
    public const string SectionName = "AccessLog";

    public static IHostApplicationBuilder AddAccessLog(this IHostApplicationBuilder builder)
    {
        var directory = builder.Configuration[$"{SectionName}:Directory"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(builder.Environment.ContentRootPath, "logs");
        builder.Services.AddW3CLogging(options =>
        {
            options.LogDirectory = directory;
            options.FileName = "router-http-access-";
            // The logger queues at most 1,024 lines and writes them out once per interval, and a request whose line
            // finds the queue full waits for the next write: at the default 1 s the router could not pass more than
            // about a thousand requests a second. Every 20 ms, the ceiling is 50,000.
            options.FlushInterval = TimeSpan.FromMilliseconds(20);
            options.RetainedFileCountLimit = 10;
            options.LoggingFields = W3CLoggingFields.Date | W3CLoggingFields.Time | W3CLoggingFields.ClientIpAddress
                | W3CLoggingFields.Method | W3CLoggingFields.UriStem | W3CLoggingFields.ProtocolStatus | W3CLoggingFields.TimeTaken;
            options.AdditionalRequestHeaders.Add(ProblemDetailsExtensions.RequestIdHeader);
        });
        return builder;
    }

    /// <summary>The orchestrator's health probes, every few seconds, would bury the requests people make.</summary>
    public static IApplicationBuilder UseAccessLog(this IApplicationBuilder app) =>
        app.UseWhen(context => !context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.HealthPath)
            && !context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.AlivePath), branch => branch
                .Use(WithTokensRedactedAsync)
                .UseW3CLogging()
                .Use(WithThePathRestoredAsync));

    /// <summary>
    /// A token named in the path (CARTO's Tokens API: <c>/api/v3/tokens/{token}</c>) is a credential. The W3C logger has
    /// no hook for what it writes and reads the path as the request reaches it, so the path is redacted just before
    /// it and put back just after it, before anything routes the request.
    /// </summary>
    private static Task WithTokensRedactedAsync(HttpContext context, Func<Task> next)
    {
        if (TokenRedaction.RedactPath(context.Request.Path.Value) is { } redacted)
        {
            context.Features.Set(new OriginalPath(context.Request.Path));
            context.Request.Path = redacted;
        }
        return next();
    }

    private static Task WithThePathRestoredAsync(HttpContext context, Func<Task> next)
    {
        if (context.Features.Get<OriginalPath>() is { } original)
        {
            context.Request.Path = original.Path;
        }
        return next();
    }

    private sealed record OriginalPath(PathString Path);
}
