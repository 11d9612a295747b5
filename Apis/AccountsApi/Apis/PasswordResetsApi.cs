using System.ComponentModel;
using CartoSelfHosted.AccountsApi.Accounts;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.AccountsApi.Apis;

/// <summary>A forgotten password: a one-time link to the address, like an invitation, then a new password.</summary>
public static class PasswordResetsApi
{
    public static IEndpointRouteBuilder MapPasswordResetsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/accounts/password-resets").WithTags("Sessions").AllowAnonymous()
            .RequireRateLimiting(AccountsRateLimits.PerClientAddress);
        api.MapPost("", RequestReset)
            .WithSummary("Ask for a password reset")
            .WithDescription("When the address has an account, makes a one-time link, valid 7 days, written to accounts-api's log (no " +
                "mail server is needed). The answer is the same whether the address has an account or not, so it tells no one who has one.")
            .Produces<PasswordResetRequested>(StatusCodes.Status202Accepted)
            .WithProblem(StatusCodes.Status400BadRequest, "No body, or an invalid `email`.")
            .WithProblem(StatusCodes.Status429TooManyRequests, "Too many requests for this e-mail address or from this client address: " +
                "try again after `Retry-After`.");
        api.MapPost("/complete", CompleteReset)
            .WithSummary("Set a new password")
            .WithDescription($"With the token of the reset link: sets the password, unlocks the account and ends every session of the user. {Passwords.Rule}")
            .Produces(StatusCodes.Status204NoContent)
            .WithProblem(StatusCodes.Status400BadRequest, "No body, a weak `password`, or a `token` that is unknown, used or expired.")
            .WithProblem(StatusCodes.Status429TooManyRequests, AccountsRateLimits.PerClientAddressProblem);
        return app;
    }

    public static async Task<IResult> RequestReset(PasswordResetRequest body, HttpRequest request, HttpResponse response, AccountStore accounts,
        AccountLinks links, SignInThrottle throttle, CancellationToken cancellationToken)
    {
        if (EmailAddresses.Normalize(body.Email) is not { } email)
        {
            return ProblemResults.BadRequest("Invalid e-mail address", EmailAddresses.Rule);
        }
        if (throttle.Acquire(email) is { } wait)
        {
            return AccountProblems.TooManyAttempts(response, wait, "requests for this e-mail address");
        }
        if (await accounts.FindForSignInAsync(email, cancellationToken) is { } account)
        {
            await links.IssueAsync(request, AccountLinks.PasswordReset, account.OrganizationId, email, null, null, cancellationToken);
        }
        return TypedResults.Accepted((string?)null, new PasswordResetRequested(
            "If the address has an account, a one-time link to set a new password was sent to it."));
    }

    public static async Task<IResult> CompleteReset(CompletePasswordResetRequest body, MetadataDatabase metadata, Passwords passwords,
        CancellationToken cancellationToken)
    {
        if ((AccountRequests.LinkProblem(body.Token) ?? AccountRequests.PasswordProblem(body.Password)) is { } problem)
        {
            return problem;
        }
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The user may have been removed since the link was made: then the link is no good either.
        if (await AccountLinks.UseAsync(connection, AccountLinks.PasswordReset, body.Token!, cancellationToken) is not { } reset
            || await AccountStore.SetPasswordAsync(connection, reset.Email, passwords.Hash(body.Password!), cancellationToken) is not { } userId)
        {
            return AccountProblems.InvalidLink();
        }
        // Whoever knew the old password is signed out with it.
        await SessionStore.EndAllAsync(connection, userId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }
}

public sealed record PasswordResetRequest([property: Description("The account's e-mail address.")] string? Email);

public sealed record PasswordResetRequested(string Message);

public sealed record CompletePasswordResetRequest(
    [property: Description("The `token` of the reset link.")] string? Token,
    [property: Description(Passwords.Rule)] string? Password);
