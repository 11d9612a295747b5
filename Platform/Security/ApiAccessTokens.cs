using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CartoSelfHosted.Platform.Security;

/// <summary>Endpoint metadata: the APIs (CARTO's <c>allowed_apis</c> names) of which an API access token needs one here.</summary>
public sealed record ApiAccessTokenApis(IReadOnlyList<string> Apis);

/// <summary>
/// Where CARTO's API access tokens may go: only to endpoints of the Maps, SQL, Imports and LDS APIs that accept them
/// (<see cref="AcceptsApiAccessTokens"/>) and that their <c>allowed_apis</c> name, and, when they have <c>referers</c>, only
/// from pages of those origins. Every other API (accounts, tokens, workspace) needs a user's token. What source an
/// accepted request may read is its API's to check (<see cref="ClaimsPrincipalExtensions.GetSourceGrants"/>).
/// </summary>
public static class ApiAccessTokens
{
    /// <summary>The <c>error</c> CARTO answers a token used from an origin it is not limited to.</summary>
    public const string UnauthorizedReferer = "Unauthorized referer";

    public static TBuilder AcceptsApiAccessTokens<TBuilder>(this TBuilder builder, params string[] apis) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ApiAccessTokenApis(apis));

    /// <summary>Answers a 403 problem and returns true when the request's API access token may not make it.</summary>
    internal static async Task<bool> RefuseAsync(HttpContext context)
    {
        if (context.User.GetApiAccessToken() is not { } token)
        {
            return false;
        }
        if (await RefuseOtherOriginsAsync(context))
        {
            return true;
        }
        if (context.GetEndpoint()?.Metadata.GetMetadata<ApiAccessTokenApis>() is not { } accepted)
        {
            await SecurityProblems.WriteAsync(context, StatusCodes.Status403Forbidden, "User token required",
                "This API needs a user's access token (from signing in): API access tokens are for the Maps, SQL, Imports and LDS APIs.");
            return true;
        }
        if (!accepted.Apis.Any(token.AllowedApis!.Contains))
        {
            await SecurityProblems.WriteAsync(context, StatusCodes.Status403Forbidden, "API not allowed",
                $"The access token's allowed_apis do not include '{string.Join("' or '", accepted.Apis)}'.");
            return true;
        }
        return false;
    }

    /// <summary>
    /// Answers CARTO's 403 <c>Unauthorized referer</c> and returns true when the request's token is limited to pages of
    /// other origins than the one that sent it.
    /// </summary>
    public static async Task<bool> RefuseOtherOriginsAsync(HttpContext context)
    {
        if (context.User.GetApiAccessToken()?.Referers is not { Count: > 0 } referers
            || CallerOrigin(context.Request) is { } origin && referers.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }
        await SecurityProblems.WriteAsync(context, StatusCodes.Status403Forbidden, UnauthorizedReferer,
            "The access token is limited to pages of other origins (its referers).", error: UnauthorizedReferer);
        return true;
    }

    /// <summary>The origin of the page that sent the request: its <c>Origin</c>, else its <c>Referer</c>'s; null with neither.</summary>
    public static string? CallerOrigin(HttpRequest request) =>
        Origin(request.Headers.Origin.ToString()) ?? Origin(request.Headers.Referer.ToString());

    /// <summary>An http(s) URL's origin as browsers write it (<c>https://host[:port]</c>, lower case); null for anything else.</summary>
    public static string? Origin(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant()
            : null;
}

/// <summary>The problems (RFC 9457) the platform's authentication answers itself, before any endpoint runs.</summary>
internal static class SecurityProblems
{
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail, string? error = null)
    {
        context.Response.StatusCode = status;
        var problem = new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail, Type = ProblemTypes.ForStatus(status) },
        };
        if (error is not null)
        {
            problem.ProblemDetails.Extensions["error"] = error;
        }
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(problem);
    }
}
