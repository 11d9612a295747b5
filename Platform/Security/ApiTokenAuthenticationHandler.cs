using System.Data.Common;
using System.Security.Claims;
using System.Text.Encodings.Web;
using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.Platform.Security;

public static class ApiTokenClaims
{
    public const string OrganizationId = "org_id";
    public const string OrganizationSlug = "org_slug";
    public const string TokenId = "token_id";
    public const string Scope = "scope";
    public const string UserId = "user_id";
    public const string Email = "email";
    public const string SessionId = "session_id";
}

/// <summary>
/// The identity a token authenticates as: its claims, and the looked-up grant itself, whose API access token limits
/// (grants, allowed APIs, referers) are read from it as they are, with nothing to parse on a tile's hot path.
/// </summary>
public sealed class ApiTokenIdentity(ApiTokenGrant grant, IEnumerable<Claim> claims, string authenticationType)
    : ClaimsIdentity(claims, authenticationType)
{
    public ApiTokenGrant Grant { get; } = grant;
}

/// <summary>
/// Authenticates <c>Authorization: Bearer</c> tokens against the metadata database, and, without that header, the web
/// apps' session cookie (<see cref="SessionCookies"/>), whose unsafe requests must carry the CSRF header.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokenStore tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";
    private const string BearerPrefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? authorization = Request.Headers.Authorization;
        string token;
        var fromCookie = false;
        if (!string.IsNullOrEmpty(authorization))
        {
            if (!authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            {
                return AuthenticateResult.Fail("The Authorization header is not a Bearer token.");
            }
            token = authorization[BearerPrefix.Length..].Trim();
        }
        else if (Request.Cookies[SessionCookies.SessionCookie] is { } sessionToken)
        {
            token = sessionToken;
            fromCookie = true;
        }
        else
        {
            return AuthenticateResult.NoResult();
        }
        // Tokens are short; a huge header is not worth hashing or querying for.
        if (token.Length is 0 or > 256)
        {
            return AuthenticateResult.Fail("The bearer token is malformed.");
        }

        ApiTokenGrant? grant;
        try
        {
            grant = await tokens.FindAsync(token, Context.RequestAborted);
        }
        catch (Exception ex) when (ex is DbException or TimeoutException)
        {
            // The token may well be good: the caller must not be told it is invalid (and drop it).
            Logger.LogWarning(ex, "Tokens cannot be checked: the metadata database does not answer");
            return AuthenticateResult.Fail(new TokenStoreUnavailableException());
        }
        if (grant is null)
        {
            return AuthenticateResult.Fail(fromCookie ? "The session is unknown, ended or expired: sign in again."
                : "The bearer token is unknown, revoked or expired.");
        }
        // A browser sends the cookie with any page's request; only a page of the platform's origin can read the CSRF
        // cookie to send the header. Reads change nothing, so they need no header.
        if (fromCookie && !HttpMethods.IsGet(Request.Method) && !HttpMethods.IsHead(Request.Method) && !HttpMethods.IsOptions(Request.Method)
            && !SessionCookies.HasCsrfToken(Request, token))
        {
            return AuthenticateResult.Fail(new CsrfTokenMissingException());
        }

        List<Claim> claims =
        [
            new(ClaimTypes.NameIdentifier, grant.TokenId.ToString()),
            new(ClaimTypes.Name, grant.TokenName),
            new(ApiTokenClaims.TokenId, grant.TokenId.ToString()),
            new(ApiTokenClaims.OrganizationId, grant.OrganizationId.ToString()),
            new(ApiTokenClaims.OrganizationSlug, grant.OrganizationSlug),
            .. grant.Scopes.Select(scope => new Claim(ApiTokenClaims.Scope, scope)),
        ];
        if (grant.UserId is { } userId)
        {
            claims.Add(new Claim(ApiTokenClaims.UserId, userId.ToString()));
            claims.Add(new Claim(ApiTokenClaims.Email, grant.Email!));
        }
        if (grant.SessionId is { } sessionId)
        {
            claims.Add(new Claim(ApiTokenClaims.SessionId, sessionId.ToString()));
        }
        var principal = new ClaimsPrincipal(new ApiTokenIdentity(grant, claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // The result of this request's authentication (computed once, then cached by the base class).
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        if (failure is TokenStoreUnavailableException)
        {
            Response.Headers.RetryAfter = "5";
            await SecurityProblems.WriteAsync(Context, StatusCodes.Status503ServiceUnavailable, "Service Unavailable",
                "Access tokens cannot be checked right now. Try again shortly.");
            return;
        }
        if (failure is CsrfTokenMissingException)
        {
            await SecurityProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", failure.Message);
            return;
        }
        Response.Headers.WWWAuthenticate = failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        await SecurityProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized",
            failure?.Message ?? "This API needs an access token: send it as 'Authorization: Bearer <token>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        SecurityProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden",
            Context.User.FindFirstValue(ApiTokenClaims.UserId) is null
                ? "The access token does not grant this operation."
                : $"The role {string.Join(", ", Context.User.FindAll(ApiTokenClaims.Scope).Select(scope => scope.Value))} does not allow this operation.");
}

/// <summary>The token store (the metadata database) could not be asked: a 503, not a 401.</summary>
public sealed class TokenStoreUnavailableException() : Exception("Access tokens cannot be checked right now.");

/// <summary>A write carried by the session cookie without the matching CSRF header: a 403, whatever the session.</summary>
public sealed class CsrfTokenMissingException()
    : Exception($"A request that changes something and carries the session cookie must send the {SessionCookies.CsrfHeader} header " +
        $"with the value of the {SessionCookies.CsrfCookie} cookie.");
