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
}

/// <summary>Authenticates <c>Authorization: Bearer</c> API tokens against the metadata database.</summary>
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
        if (string.IsNullOrEmpty(authorization))
        {
            return AuthenticateResult.NoResult();
        }
        if (!authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("The Authorization header is not a Bearer token.");
        }
        var token = authorization[BearerPrefix.Length..].Trim();
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
            return AuthenticateResult.Fail("The bearer token is unknown, revoked or expired.");
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
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // The result of this request's authentication (computed once, then cached by the base class).
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        if (failure is TokenStoreUnavailableException)
        {
            Response.Headers.RetryAfter = "5";
            await WriteProblemAsync(StatusCodes.Status503ServiceUnavailable, "Service Unavailable",
                "Access tokens cannot be checked right now. Try again shortly.");
            return;
        }
        Response.Headers.WWWAuthenticate = failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized",
            failure?.Message ?? "This API needs an access token: send it as 'Authorization: Bearer <token>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden", "The access token does not grant this operation.");

    private async Task WriteProblemAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        var problems = Context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail, Type = ProblemTypes.ForStatus(status) },
        });
    }
}

/// <summary>The token store (the metadata database) could not be asked: a 503, not a 401.</summary>
public sealed class TokenStoreUnavailableException() : Exception("Access tokens cannot be checked right now.");
