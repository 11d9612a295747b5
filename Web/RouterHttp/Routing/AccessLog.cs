using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.AspNetCore.HttpLogging;

namespace CartoSelfHosted.RouterHttp.Routing;

/// <summary>
/// One line per request in W3C's extended log format (ASP.NET Core's W3C logger), in files of its own under the
/// section <c>AccessLog</c>'s <c>Directory</c>: date and time, the caller's address, method, path, status, time taken
/// and the request id. Not through the service's log, which goes to the console and the dashboard: at thousands of
/// cached tiles a second, a log entry per request cost more than the request (half the router's throughput when
/// measured). Never the query string, where CARTO's clients may put a token (<c>access_token</c>).
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
            && !context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.AlivePath), branch => branch.UseW3CLogging());
}
