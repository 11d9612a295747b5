using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json.Serialization;
using CartoSelfHosted.AccountsApi.Accounts;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.AccountsApi.Apis;

/// <summary>
/// Signing in and out. A sign-in gives an OAuth-style answer (a short-lived access token and a refresh token, for API
/// clients) and sets the web apps' session cookie; all three are opaque platform tokens, kept as hashes, that every API
/// accepts and that stop working on every API as soon as the session ends.
/// </summary>
public static class SessionsApi
{
    public const string RefreshTokenGrant = "refresh_token";

    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/accounts").WithTags("Sessions");
        api.MapPost("/signin", SignIn)
            .AllowAnonymous()
            .RequireRateLimiting(AccountsRateLimits.PerClientAddress)
            .WithSummary("Sign in")
            .WithDescription("With an e-mail address and a password. The answer is an access token (`Authorization: Bearer`, for " +
                "`expires_in` seconds) and a refresh token (`POST /api/v3/accounts/token`), and it sets the session cookie " +
                $"(`{SessionCookies.SessionCookie}`, HttpOnly, SameSite=Lax, Secure over HTTPS) with its CSRF cookie " +
                $"(`{SessionCookies.CsrfCookie}`), whose value a web app sends back as `{SessionCookies.CsrfHeader}` on every write. " +
                "10 wrong passwords in a row lock the account for 15 minutes.")
            .Produces<TokenResponse>()
            .WithProblem(StatusCodes.Status400BadRequest, "No body, or a missing `email` or `password`.")
            .WithProblem(StatusCodes.Status401Unauthorized, "No account has this e-mail address and password.")
            .WithProblem(StatusCodes.Status403Forbidden, "The account is locked after too many wrong passwords, until `Retry-After`.")
            .WithProblem(StatusCodes.Status429TooManyRequests, "Too many sign-ins for this e-mail address (20 in 15 minutes) or from this " +
                "client address: try again after `Retry-After`.");
        api.MapPost("/token", RefreshAccessToken)
            .AllowAnonymous()
            .RequireRateLimiting(AccountsRateLimits.PerClientAddress)
            .WithSummary("Refresh an access token")
            .WithDescription("OAuth's token endpoint for `grant_type` `refresh_token`: a new access token and a new refresh token for a " +
                "session's refresh token, which stops working (presented twice, only the first succeeds).")
            .Produces<TokenResponse>()
            .WithProblem(StatusCodes.Status400BadRequest, "No body, a `grant_type` other than `refresh_token`, or a refresh token that is " +
                "unknown, already used, or of a session that ended (OAuth's `invalid_grant`).")
            .WithProblem(StatusCodes.Status429TooManyRequests, AccountsRateLimits.PerClientAddressProblem);
        api.MapPost("/signout", SignOut)
            .WithSummary("Sign out")
            .WithDescription("Ends the session the presented token (or cookie) belongs to: its access tokens, refresh token and cookie " +
                "stop working on every API. Clears the cookies.")
            .Produces(StatusCodes.Status204NoContent)
            .WithProblem(StatusCodes.Status400BadRequest, "The token is not a sign-in's (an API token, such as the development token).")
            .WithProblem(StatusCodes.Status403Forbidden, $"The session cookie without its `{SessionCookies.CsrfHeader}` header.");
        api.MapPost("/signout-everywhere", SignOutEverywhere)
            .WithSummary("Sign out everywhere")
            .WithDescription("Ends every session of the presented token's user, on every device. API tokens the user made stay.")
            .Produces(StatusCodes.Status204NoContent)
            .WithProblem(StatusCodes.Status400BadRequest, "The token is not a user's (an organization's API token).")
            .WithProblem(StatusCodes.Status403Forbidden, $"The session cookie without its `{SessionCookies.CsrfHeader}` header.");
        return app;
    }

    public static async Task<IResult> SignIn(SignInRequest body, HttpResponse response, AccountStore accounts, SessionStore sessions,
        Passwords passwords, SignInThrottle throttle, IOptions<AccountsOptions> options, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(body.Email) || string.IsNullOrEmpty(body.Password))
        {
            return ProblemResults.BadRequest("Missing credentials", "email and password are both needed.");
        }
        // An address that is not one has no account either: the answer is the same as for a wrong password.
        var email = EmailAddresses.Normalize(body.Email) ?? body.Email;
        if (throttle.Acquire(email) is { } wait)
        {
            return AccountProblems.TooManyAttempts(response, wait, "sign-ins for this e-mail address");
        }
        var candidate = await accounts.FindForSignInAsync(email, cancellationToken);
        if (candidate?.LockedUntil is { } lockedUntil)
        {
            return AccountProblems.Locked(response, lockedUntil - DateTimeOffset.UtcNow);
        }
        if (!passwords.Verify(candidate?.PasswordHash, body.Password, out var rehashed))
        {
            if (candidate is not null)
            {
                await accounts.RecordFailedSignInAsync(candidate.UserId, options.Value.MaxFailedSignIns, options.Value.LockoutDuration, cancellationToken);
            }
            return AccountProblems.WrongCredentials();
        }
        await accounts.RecordSignInAsync(candidate!.UserId, rehashed, cancellationToken);
        var session = await sessions.StartAsync(candidate.UserId, candidate.OrganizationId, cancellationToken);
        SessionCookies.Append(response, session.CookieToken!, session.ExpiresAt);
        return TokenAnswer(response, session);
    }

    public static async Task<IResult> RefreshAccessToken(TokenRequest body, HttpResponse response, SessionStore sessions,
        CancellationToken cancellationToken)
    {
        if (body.GrantType != RefreshTokenGrant)
        {
            return AccountProblems.Problem(StatusCodes.Status400BadRequest, "Unsupported grant type",
                $"grant_type is {RefreshTokenGrant}: sign in (POST /api/v3/accounts/signin) for a first token.");
        }
        if (!AccountLinks.CouldBeToken(body.RefreshToken)
            || await sessions.RefreshAsync(body.RefreshToken!, cancellationToken) is not { } session)
        {
            return AccountProblems.Problem(StatusCodes.Status400BadRequest, "Invalid grant",
                "The refresh token is unknown, already used, or its session ended: sign in again.", AccountProblems.InvalidGrantType);
        }
        return TokenAnswer(response, session);
    }

    public static async Task<IResult> SignOut(ClaimsPrincipal user, HttpResponse response, SessionStore sessions, CancellationToken cancellationToken)
    {
        if (user.GetSessionId() is not { } sessionId)
        {
            return ProblemResults.BadRequest("Not a session", "The token is an API token, not a sign-in's: delete it instead.");
        }
        await sessions.EndAsync(user.GetUserId()!.Value, sessionId, cancellationToken);
        SessionCookies.Delete(response);
        return TypedResults.NoContent();
    }

    public static async Task<IResult> SignOutEverywhere(ClaimsPrincipal user, HttpResponse response, MetadataDatabase metadata,
        CancellationToken cancellationToken)
    {
        if (user.GetUserId() is not { } userId)
        {
            return ProblemResults.BadRequest("Not a user", "The token is an organization's API token, which no user signed in with.");
        }
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await SessionStore.EndAllAsync(connection, userId, cancellationToken);
        SessionCookies.Delete(response);
        return TypedResults.NoContent();
    }

    private static IResult TokenAnswer(HttpResponse response, IssuedSession session)
    {
        // OAuth (RFC 6749 §5.1): a token answer is never cached.
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        return TypedResults.Ok(new TokenResponse(session.AccessToken, "Bearer",
            Math.Max(0, (int)(session.AccessTokenExpiresAt - DateTimeOffset.UtcNow).TotalSeconds), session.RefreshToken));
    }
}

public sealed record SignInRequest(
    [property: Description("The account's e-mail address.")] string? Email,
    [property: Description("The account's password.")] string? Password);

public sealed record TokenRequest(
    [property: JsonPropertyName("grant_type"), Description("`refresh_token`.")] string? GrantType,
    [property: JsonPropertyName("refresh_token"), Description("The refresh token of the sign-in, or of the last refresh.")] string? RefreshToken);

/// <summary>OAuth's access token answer (RFC 6749 §5.1), by its names.</summary>
public sealed record TokenResponse(
    [property: JsonPropertyName("access_token"), Description("The user access token: `Authorization: Bearer <token>` on every API.")] string AccessToken,
    [property: JsonPropertyName("token_type"), Description("`Bearer`.")] string TokenType,
    [property: JsonPropertyName("expires_in"), Description("Seconds until the access token stops working.")] int ExpiresIn,
    [property: JsonPropertyName("refresh_token"), Description("Gets the next access token from `POST /api/v3/accounts/token`; used once.")] string RefreshToken);
