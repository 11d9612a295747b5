using CartoSelfHosted.AccountsApi.Accounts;
using CartoSelfHosted.ServiceDefaults.Telemetry;

namespace CartoSelfHosted.AccountsApi.Extensions;

/// <summary>
/// CARTO's Tokens API names a token by its value in the path (<c>/api/v3/tokens/{token}</c>). Whatever handles the path
/// after the host has it — routing and its debug logs, the endpoints, their problems — would hold a credential; so the
/// value is swapped for the token's id first, as the endpoints take either. The host itself neither logs the path nor
/// scopes lines with it (ServiceDefaults), and traces redact it.
/// </summary>
internal static class TokenPaths
{
    private static readonly PathString TokensPath = "/api/v3/tokens";

    public static WebApplication UseTokenIdsInPaths(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            // The rest of the path is "/<segment>[/…]"; its first segment is a token's value when it has their prefix.
            if (context.Request.Path.StartsWithSegments(TokensPath, out var rest) && rest.Value is { } tail
                && tail.StartsWith("/" + TokenRedaction.TokenPrefix, StringComparison.Ordinal))
            {
                var end = tail.IndexOf('/', 1) is var slash and >= 0 ? slash : tail.Length;
                var store = context.RequestServices.GetRequiredService<AccessTokenStore>();
                // An unknown token is no token: the nil id, which names none, gets the endpoints' own 404.
                var id = await store.FindIdAsync(tail[1..end], context.RequestAborted) ?? Guid.Empty;
                context.Request.Path = TokensPath.Add($"/{id}{tail[end..]}");
            }
            await next(context);
        });
        // Routing comes after, so that it matches the id.
        app.UseRouting();
        return app;
    }
}
