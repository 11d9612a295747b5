using System.Buffers;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.RouterHttp.Routing;

/// <summary>
/// Every request carries an <c>X-Request-Id</c> upstream and back to its caller: the caller's own when it is a plain token
/// (it ends up in logs and in JSON bodies), otherwise one made here.
/// </summary>
public static class RequestIds
{
    private const int MaxLength = 128;
    private static readonly SearchValues<char> TokenCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var headers = context.Request.Headers;
            var requestId = headers[ProblemDetailsExtensions.RequestIdHeader].ToString();
            if (!IsPlainToken(requestId))
            {
                requestId = Guid.NewGuid().ToString("N");
                headers[ProblemDetailsExtensions.RequestIdHeader] = requestId;
            }
            // On starting, so that an id a service echoes never doubles it.
            context.Response.OnStarting(() =>
            {
                context.Response.Headers[ProblemDetailsExtensions.RequestIdHeader] = requestId;
                return Task.CompletedTask;
            });
            return next(context);
        });

    public static bool IsPlainToken(string value) =>
        value.Length is > 0 and <= MaxLength && !value.AsSpan().ContainsAnyExcept(TokenCharacters);
}
