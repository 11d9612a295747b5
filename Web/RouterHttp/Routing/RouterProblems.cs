using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.AspNetCore.WebUtilities;

namespace CartoSelfHosted.RouterHttp.Routing;

/// <summary>The router's own errors, as problem details with CARTO's <c>error</c> member, like every service's.</summary>
public static class RouterProblems
{
    public static async Task WriteAsync(HttpContext context, int status, string type, string detail)
    {
        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Type = type, Title = ReasonPhrases.GetReasonPhrase(status), Detail = detail },
        });
    }

    public static Task PayloadTooLargeAsync(HttpContext context, long limit) =>
        WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ProblemTypes.PayloadTooLarge,
            $"The request body is larger than this route accepts ({limit:N0} bytes).");
}
