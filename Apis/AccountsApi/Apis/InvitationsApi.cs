using System.ComponentModel;
using System.Security.Claims;
using CartoSelfHosted.AccountsApi.Accounts;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.AccountsApi.Apis;

/// <summary>The organization's invitations: an admin invites an address, the addressee accepts with a password.</summary>
public static class InvitationsApi
{
    public static IEndpointRouteBuilder MapInvitationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/accounts/invitations").WithTags("Users");
        api.MapPost("", Invite)
            .RequireAuthorization(PlatformPolicies.Administer)
            .WithSummary("Invite a user")
            .WithDescription("Makes a one-time link, valid 7 days, that lets the address join the organization with the role. The link " +
                "is in the answer and in accounts-api's log, for the admin to pass on: no mail server is needed.")
            .Produces<InvitationView>(StatusCodes.Status201Created)
            .WithProblem(StatusCodes.Status400BadRequest, "No body, an invalid `email`, or a `role` that is not `admin`, `editor` or `viewer`.")
            .WithProblem(StatusCodes.Status403Forbidden, "The caller is not an admin of the organization.")
            .WithProblem(StatusCodes.Status409Conflict, "The e-mail address already has an account.");
        api.MapPost("/accept", Accept)
            .AllowAnonymous()
            .RequireRateLimiting(AccountsRateLimits.PerClientAddress)
            .WithSummary("Accept an invitation")
            .WithDescription($"With the token of the invitation's link and a password, makes the account; then sign in. {Passwords.Rule}")
            .Produces<AccountView>(StatusCodes.Status201Created)
            .WithProblem(StatusCodes.Status400BadRequest, "No body, a weak `password`, or a `token` that is unknown, used or expired.")
            .WithProblem(StatusCodes.Status409Conflict, "The invited address has an account already.")
            .WithProblem(StatusCodes.Status429TooManyRequests, AccountsRateLimits.PerClientAddressProblem);
        return app;
    }

    public static async Task<IResult> Invite(InvitationRequest body, ClaimsPrincipal user, HttpRequest request, AccountStore accounts,
        AccountLinks links, CancellationToken cancellationToken)
    {
        if (EmailAddresses.Normalize(body.Email) is not { } email)
        {
            return ProblemResults.BadRequest("Invalid e-mail address", EmailAddresses.Rule);
        }
        if (AccountRequests.RoleProblem(body.Role) is { } problem)
        {
            return problem;
        }
        if (await accounts.EmailTakenAsync(email, cancellationToken))
        {
            return ProblemResults.Conflict("E-mail address taken", "This e-mail address already has an account.");
        }
        var link = await links.IssueAsync(request, AccountLinks.Invitation, user.GetOrganizationId(), email, body.Role, user.GetUserId(), cancellationToken);
        return TypedResults.Created((string?)null, new InvitationView(link.Id, link.Email, link.Role!, link.ExpiresAt, link.Url));
    }

    public static async Task<IResult> Accept(AcceptInvitationRequest body, MetadataDatabase metadata, Passwords passwords,
        CancellationToken cancellationToken)
    {
        if ((AccountRequests.LinkProblem(body.Token) ?? AccountRequests.PasswordProblem(body.Password)
                ?? AccountRequests.NameProblem(body.Name, "name")) is { } problem)
        {
            return problem;
        }
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await AccountLinks.UseAsync(connection, AccountLinks.Invitation, body.Token!, cancellationToken) is not { } invitation)
        {
            return AccountProblems.InvalidLink();
        }
        if (await AccountStore.JoinAsync(connection, invitation.OrganizationId, invitation.Email, AccountRequests.Trimmed(body.Name),
                invitation.Role!, passwords.Hash(body.Password!), cancellationToken) is not { } account)
        {
            return ProblemResults.Conflict("E-mail address taken", "The invited address has an account already: sign in.");
        }
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/v3/accounts/users/{account.User.Id}", account);
    }
}

public sealed record InvitationRequest(
    [property: Description("The address to invite.")] string? Email,
    [property: Description("The role the user will have: `admin`, `editor` or `viewer`.")] string? Role);

public sealed record InvitationView(Guid Id, string Email, string Role, DateTimeOffset ExpiresAt,
    [property: Description("The one-time link to hand to the invited person.")] string Link);

public sealed record AcceptInvitationRequest(
    [property: Description("The `token` of the invitation's link.")] string? Token,
    [property: Description(Passwords.Rule)] string? Password,
    [property: Description("How the user is shown to others (optional).")] string? Name);
