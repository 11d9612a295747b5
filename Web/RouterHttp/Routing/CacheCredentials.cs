using CartoSelfHosted.Platform.Security;
using Microsoft.AspNetCore.Authentication;

namespace CartoSelfHosted.RouterHttp.Routing;

/// <summary>
/// The HTTP cache serves a token's repeated requests without asking the service behind it, so a token deleted, expired,
/// signed out or of a removed user would keep its cached answers for as long as they last. So the router checks the
/// credentials of every request it sends to the cache as the services do (Platform/Security: the token's hash looked up,
/// kept 0.5 s), and they stop within a second there too; an API access token is also held to its referers here. The
/// cache keys a token's answers by <see cref="LimitsHeader"/> besides the token itself, so a token whose grants,
/// allowed APIs or referers changed never gets an answer made under the former ones.
/// </summary>
public static class CacheCredentials
{
    public const string LimitsHeader = "X-Token-Limits";

    private const string CacheCluster = "http-cache";

    public static async Task CheckAsync(HttpContext context, Func<Task> next)
    {
        // Only the router says what a token's limits are.
        context.Request.Headers.Remove(LimitsHeader);
        if (context.GetReverseProxyFeature().Cluster?.Config.ClusterId != CacheCluster || !CarriesCredentials(context.Request))
        {
            // Without credentials the service answers: anonymously where it may (health), else its own 401.
            await next();
            return;
        }
        var result = await context.AuthenticateAsync(ApiTokenAuthenticationHandler.SchemeName);
        if (!result.Succeeded)
        {
            // The same answer as the service's: 401, 503 when tokens cannot be checked, 403 for a cookie write without its CSRF header.
            await context.ChallengeAsync(ApiTokenAuthenticationHandler.SchemeName);
            return;
        }
        context.User = result.Principal;
        if (await ApiAccessTokens.RefuseOtherOriginsAsync(context))
        {
            return;
        }
        if (context.User.GetApiAccessToken()?.LimitsVersion is { } limits)
        {
            context.Request.Headers[LimitsHeader] = limits;
        }
        await next();
    }

    private static bool CarriesCredentials(HttpRequest request) =>
        request.Headers.Authorization.Count > 0 || request.Cookies.ContainsKey(SessionCookies.SessionCookie);
}
