using System.Globalization;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.AccountsApi.Accounts;

/// <summary>The problems (RFC 9457) accounts-api answers beside the platform's shared ones. None ever quotes a secret.</summary>
public static class AccountProblems
{
    private const string Base = "https://carto-self-hosted.dev/problems/";

    /// <summary>Too many wrong passwords in a row: the account waits until <c>Retry-After</c>, whatever the password.</summary>
    public const string AccountLockedType = Base + "account-locked";

    /// <summary>An invitation or password-reset link that is unknown, used or expired; a refresh token likewise (OAuth's invalid_grant).</summary>
    public const string InvalidLinkType = Base + "invalid-link";

    public const string InvalidGrantType = Base + "invalid-grant";

    public static IResult Problem(int status, string title, string detail, string? type = null) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail, type: type ?? ProblemTypes.ForStatus(status));

    public static IResult WrongCredentials() =>
        Problem(StatusCodes.Status401Unauthorized, "Wrong e-mail or password", "No account has this e-mail address and password.");

    public static IResult InvalidLink() =>
        Problem(StatusCodes.Status400BadRequest, "Invalid link", "The link is unknown, already used or expired: ask for a new one.", InvalidLinkType);

    public static IResult Locked(HttpResponse response, TimeSpan left)
    {
        SetRetryAfter(response, left);
        return Problem(StatusCodes.Status403Forbidden, "Account locked",
            $"Too many wrong passwords in a row: the account is locked for {Math.Ceiling(left.TotalMinutes)} more minute(s).", AccountLockedType);
    }

    public static IResult TooManyAttempts(HttpResponse response, TimeSpan retryAfter, string what)
    {
        SetRetryAfter(response, retryAfter);
        return Problem(StatusCodes.Status429TooManyRequests, "Too many requests", $"Too many {what}: try again after Retry-After seconds.");
    }

    private static void SetRetryAfter(HttpResponse response, TimeSpan wait) =>
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
