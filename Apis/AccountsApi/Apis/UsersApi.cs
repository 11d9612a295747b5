using System.ComponentModel;
using System.Security.Claims;
using CartoSelfHosted.AccountsApi.Accounts;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.AccountsApi.Apis;

/// <summary>The organization's members, for its admins: who they are, their roles, and removing them.</summary>
public static class UsersApi
{
    private const string UserId = "The user's id.";
    private const string NotAdminProblem = "The caller is not an admin of the organization.";
    private const string NoSuchUserProblem = "The organization has no such user.";

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/accounts/users").WithTags("Users").RequireAuthorization(PlatformPolicies.Administer);
        api.MapGet("", ListUsers)
            .WithSummary("The organization's users")
            .WithDescription("Every member, oldest first: e-mail address, name, role (`admin`, `editor` or `viewer`) and when they joined.")
            .Produces<UserList>()
            .WithProblem(StatusCodes.Status403Forbidden, NotAdminProblem);
        api.MapPatch("/{id:guid}", ChangeRole)
            .WithSummary("Change a user's role")
            .WithDescription("`admin` manages users, tokens and settings; `editor` imports, makes maps and datasets and runs batch SQL " +
                "jobs; `viewer` reads. The change holds at the user's next request, on every API.")
            .Produces<UserView>()
            .WithProblem(StatusCodes.Status400BadRequest, "No body, or a `role` that is not `admin`, `editor` or `viewer`.")
            .WithProblem(StatusCodes.Status403Forbidden, NotAdminProblem)
            .WithProblem(StatusCodes.Status404NotFound, NoSuchUserProblem)
            .WithProblem(StatusCodes.Status409Conflict, "The user is the organization's last admin.");
        api.MapDelete("/{id:guid}", RemoveUser)
            .WithSummary("Remove a user")
            .WithDescription("The user's account, sessions and tokens are deleted: every API refuses them within a second.")
            .Produces(StatusCodes.Status204NoContent)
            .WithProblem(StatusCodes.Status403Forbidden, NotAdminProblem)
            .WithProblem(StatusCodes.Status404NotFound, NoSuchUserProblem)
            .WithProblem(StatusCodes.Status409Conflict, "The user is the organization's last admin.");
        return app;
    }

    public static async Task<UserList> ListUsers(ClaimsPrincipal user, AccountStore accounts, CancellationToken cancellationToken) =>
        new(await accounts.ListUsersAsync(user.GetOrganizationId(), cancellationToken));

    public static async Task<IResult> ChangeRole([Description(UserId)] Guid id, RoleChange body, ClaimsPrincipal user, AccountStore accounts,
        CancellationToken cancellationToken)
    {
        if (AccountRequests.RoleProblem(body.Role) is { } problem)
        {
            return problem;
        }
        var (change, changed) = await accounts.ChangeRoleAsync(user.GetOrganizationId(), id, body.Role!, cancellationToken);
        return MembershipAnswer(change) ?? TypedResults.Ok(changed);
    }

    public static async Task<IResult> RemoveUser([Description(UserId)] Guid id, ClaimsPrincipal user, AccountStore accounts,
        CancellationToken cancellationToken) =>
        MembershipAnswer(await accounts.RemoveAsync(user.GetOrganizationId(), id, user.GetUserId(), cancellationToken)) ?? TypedResults.NoContent();

    private static IResult? MembershipAnswer(MembershipChange change) => change switch
    {
        MembershipChange.NoSuchUser => ProblemResults.NotFound("No such user", "The organization has no user with this id."),
        MembershipChange.LastAdmin => ProblemResults.Conflict("Last admin", "The organization's last admin stays an admin: make another one first."),
        _ => null,
    };
}

public sealed record UserList(IReadOnlyList<UserView> Users);

public sealed record RoleChange([property: Description("`admin`, `editor` or `viewer`.")] string? Role);
