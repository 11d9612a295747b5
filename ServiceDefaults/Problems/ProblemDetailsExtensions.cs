using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CartoSelfHosted.ServiceDefaults.Problems;

public static class ProblemDetailsExtensions
{
    public const string RequestIdHeader = "X-Request-Id";

    public static IServiceCollection AddPlatformProblemDetails(this IServiceCollection services) =>
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            // ASP.NET Core fills `type` with an RFC 9110 section link; ours name the platform's own stable kinds.
            if (problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
            {
                problem.Type = ProblemTypes.ForStatus(status);
            }
            problem.Instance ??= context.HttpContext.Request.Path;
            // What the framework could not read ("Failed to read parameter … from the request body as JSON."): its
            // message names the parameter, never a value the caller sent.
            if (context.Exception is BadHttpRequestException badRequest)
            {
                problem.Detail ??= badRequest.Message;
            }
            problem.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
            // CARTO's own clients (@carto/api-client) show a failed request's `error` member, as CARTO's APIs send it;
            // an answer that sets it itself keeps it (the clients match some, like "Column not found", exactly).
            problem.Extensions.TryAdd("error", problem.Detail ?? problem.Title);
            if (context.HttpContext.Request.Headers.TryGetValue(RequestIdHeader, out var requestId))
            {
                problem.Extensions["requestId"] = requestId.ToString();
            }
        });

    /// <summary>
    /// Every error leaves as problem details: exceptions through the exception handler (a client's bad request
    /// keeps its 4xx status instead of becoming a 500), and bare status codes through the status-code pages.
    /// </summary>
    public static IApplicationBuilder UsePlatformProblemDetails(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = exception => exception switch
            {
                BadHttpRequestException badRequest => badRequest.StatusCode,
                _ => StatusCodes.Status500InternalServerError,
            },
        });
        app.UseStatusCodePages();
        return app;
    }
}
