using System.Collections.Frozen;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.RouterHttp.Routing;

/// <summary>
/// Only the methods the API uses pass the router: PURGE (which the HTTP cache obeys from this host), TRACE and the like
/// stop here with a 405.
/// </summary>
public static class AllowedMethods
{
    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    private static readonly FrozenSet<string> MethodSet = Methods.ToFrozenSet(StringComparer.Ordinal);
    private static readonly string AllowHeader = string.Join(", ", Methods);

    public static IApplicationBuilder UseAllowedMethods(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (MethodSet.Contains(context.Request.Method))
            {
                return next(context);
            }
            context.Response.Headers.Allow = AllowHeader;
            return RouterProblems.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, ProblemTypes.MethodNotAllowed,
                $"The API accepts {AllowHeader}.");
        });
}
