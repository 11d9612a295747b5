using System.ComponentModel;
using System.Security.Claims;
using CartoSelfHosted.AccountsApi.Accounts;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.AccountsApi.Apis;

/// <summary>Who a token speaks for, and signing up: the installation's first sign-up makes its organization and admin.</summary>
public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/accounts").WithTags("Accounts");
        api.MapGet("/me", GetCurrentAccount)
            .WithSummary("The presented token's account")
            .WithDescription("Who the token speaks for: its organization (id and slug), the token itself (id, name and scopes; a " +
                "user's token has the user's role as its scope) and, for a user's token, the user (id, e-mail address, role).");
        api.MapPost("/signup", SignUp)
            .AllowAnonymous()
            .RequireRateLimiting(AccountsRateLimits.PerClientAddress)
            .WithSummary("Sign up")
            .WithDescription("Makes an account with an e-mail address and a password. The installation's first sign-up takes its " +
                "organization (the one the development token belongs to) and becomes its admin; afterwards sign-up is closed unless " +
                "that organization's admin opens it (`PATCH /api/v3/accounts/settings`), and each sign-up then makes an organization " +
                $"of its own, with its own warehouse schema. {Passwords.Rule}")
            .Produces<AccountView>(StatusCodes.Status201Created)
            .WithProblem(StatusCodes.Status400BadRequest, $"No body, or a missing or invalid `email` or `password`. {Passwords.Rule}")
            .WithProblem(StatusCodes.Status403Forbidden, "Sign-up is closed: ask an admin for an invitation.")
            .WithProblem(StatusCodes.Status409Conflict, "The e-mail address already has an account.")
            .WithProblem(StatusCodes.Status429TooManyRequests, AccountsRateLimits.PerClientAddressProblem);
        return app;
    }

    /// <summary>Who the presented token speaks for: its organization, and what it may do.</summary>
    public static CurrentAccount GetCurrentAccount(ClaimsPrincipal user) => new(
        new OrganizationSummary(user.GetOrganizationId(), user.GetOrganizationSlug()),
        new TokenSummary(Guid.Parse(user.FindFirstValue(ApiTokenClaims.TokenId)!), user.Identity!.Name!, Scopes(user)),
        user.GetUserId() is { } userId ? new UserSummary(userId, user.FindFirstValue(ApiTokenClaims.Email)!, Scopes(user).Single()) : null);

    public static async Task<IResult> SignUp(SignUpRequest body, AccountStore accounts, Passwords passwords, CancellationToken cancellationToken)
    {
        if (EmailAddresses.Normalize(body.Email) is not { } email)
        {
            return ProblemResults.BadRequest("Invalid e-mail address", EmailAddresses.Rule);
        }
        if ((AccountRequests.PasswordProblem(body.Password) ?? AccountRequests.NameProblem(body.Name, "name")
                ?? AccountRequests.NameProblem(body.OrganizationName, "organizationName")) is { } problem)
        {
            return problem;
        }
        var (outcome, account) = await accounts.SignUpAsync(email, passwords.Hash(body.Password!), AccountRequests.Trimmed(body.Name),
            AccountRequests.Trimmed(body.OrganizationName), cancellationToken);
        return outcome switch
        {
            SignUpOutcome.Closed => ProblemResults.Forbidden("Sign-up is closed on this installation: ask an admin for an invitation."),
            SignUpOutcome.EmailTaken => ProblemResults.Conflict("E-mail address taken", "This e-mail address already has an account: sign in."),
            _ => TypedResults.Created($"/api/v3/accounts/users/{account!.User.Id}", account),
        };
    }

    private static IReadOnlyList<string> Scopes(ClaimsPrincipal user) => user.FindAll(ApiTokenClaims.Scope).Select(claim => claim.Value).ToList();
}

public sealed record CurrentAccount(OrganizationSummary Organization, TokenSummary Token, UserSummary? User);

public sealed record OrganizationSummary(Guid Id, string Slug);

public sealed record TokenSummary(Guid Id, string Name, IReadOnlyList<string> Scopes);

public sealed record UserSummary(Guid Id, string Email, string Role);

public sealed record SignUpRequest(
    [property: Description("The e-mail address to sign in with.")] string? Email,
    [property: Description(Passwords.Rule)] string? Password,
    [property: Description("How the user is shown to others (optional, at most 200 characters).")] string? Name,
    [property: Description("The organization's name (optional, at most 200 characters).")] string? OrganizationName);
