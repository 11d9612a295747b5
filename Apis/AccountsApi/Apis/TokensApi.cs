using System.ComponentModel;
using System.Security.Claims;
using CartoSelfHosted.AccountsApi.Accounts;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.AccountsApi.Apis;

/// <summary>
/// CARTO's Tokens API: a user makes API access tokens for web apps, each limited to the sources it is granted, the APIs
/// it may call and, optionally, the origins of the pages that use it. Only a user's own token (not an API access token)
/// reaches it; a user sees and changes only the tokens it made.
/// </summary>
public static class TokensApi
{
    private const string TokenPath = "The token's id, or the token itself (as CARTO's paths carry it; TokenPaths swaps it for its id).";
    private const string NoSuchTokenProblem = "The caller has no such token.";
    private const string UserTokenProblem = "The token is an API access token (those need a user's token), or, to make one, no user's token.";

    public static IEndpointRouteBuilder MapTokensApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/tokens").WithTags("Tokens");
        api.MapPost("", CreateToken)
            .WithSummary("Make an API access token")
            .WithDescription("`{grants: [{connection_name, source}], allowed_apis, referers?, expiration_date?, name?}` → 201 with the token, " +
                "once. A source is `*` (everything on the connection), `schema.*`, a table, or an exact SQL query. `allowed_apis` are among " +
                "`sql`, `maps`, `imports`, `lds` (widgets and stats take `maps` or `sql`). With `referers`, only pages of those origins may " +
                "use it (403 `Unauthorized referer`). The token can do what its user's role can, on what it is granted, until its user is removed " +
                "or it is deleted.")
            .Produces<AccessTokenView>(StatusCodes.Status201Created)
            .WithProblem(StatusCodes.Status400BadRequest, "No or invalid `grants`, `allowed_apis`, `referers`, `expiration_date` or `name`.")
            .WithProblem(StatusCodes.Status403Forbidden, UserTokenProblem);
        api.MapGet("", ListTokens)
            .WithSummary("The caller's tokens")
            .WithDescription("The tokens the caller made, newest first: grants, allowed APIs, referers, expiration. Never a token's value, " +
                "which is not kept; never a sign-in's own tokens.")
            .Produces<TokenList>()
            .WithProblem(StatusCodes.Status403Forbidden, UserTokenProblem);
        api.MapGet("/{id:guid}", GetToken)
            .WithSummary("One of the caller's tokens")
            .WithDescription("What the list says of one token, named by its id or by its value; never the value.")
            .Produces<AccessTokenView>()
            .WithProblem(StatusCodes.Status403Forbidden, UserTokenProblem)
            .WithProblem(StatusCodes.Status404NotFound, NoSuchTokenProblem);
        api.MapPatch("/{id:guid}", ChangeToken)
            .WithSummary("Change an API access token")
            .WithDescription("The create body's members replace the token's (`expiration_date` is set at creation only); what is left out " +
                "stays. Holds on every API within a second.")
            .Produces<AccessTokenView>()
            .WithProblem(StatusCodes.Status400BadRequest, "Invalid members, or an `expiration_date`.")
            .WithProblem(StatusCodes.Status403Forbidden, UserTokenProblem)
            .WithProblem(StatusCodes.Status404NotFound, "The caller has no such API access token.");
        api.MapDelete("/{id:guid}", DeleteToken)
            .WithSummary("Delete a token")
            .WithDescription("Every API refuses it within a second.")
            .Produces(StatusCodes.Status204NoContent)
            .WithProblem(StatusCodes.Status403Forbidden, UserTokenProblem)
            .WithProblem(StatusCodes.Status404NotFound, NoSuchTokenProblem);
        return app;
    }

    public static async Task<IResult> CreateToken(AccessTokenBody? body, ClaimsPrincipal user, AccessTokenStore tokens,
        CancellationToken cancellationToken)
    {
        if (user.GetUserId() is null)
        {
            return ProblemResults.Forbidden("Making API access tokens needs a user's token (sign in): a token is its user's, and can do what its role can.");
        }
        var (spec, problem) = AccessTokenRequests.ForCreation(body, DateTimeOffset.UtcNow);
        if (spec is null)
        {
            return problem!;
        }
        var created = await tokens.CreateAsync(Owner(user), spec, cancellationToken);
        return TypedResults.Created($"/api/v3/tokens/{created.Id}", created);
    }

    public static async Task<TokenList> ListTokens(ClaimsPrincipal user, AccessTokenStore tokens, CancellationToken cancellationToken) =>
        new(await tokens.ListAsync(Owner(user), cancellationToken));

    public static async Task<IResult> GetToken([Description(TokenPath)] Guid id, ClaimsPrincipal user, AccessTokenStore tokens,
        CancellationToken cancellationToken) =>
        await tokens.FindAsync(Owner(user), id, cancellationToken) is { } found ? TypedResults.Ok(found) : NoSuchToken();

    public static async Task<IResult> ChangeToken([Description(TokenPath)] Guid id, AccessTokenBody? body, ClaimsPrincipal user,
        AccessTokenStore tokens, CancellationToken cancellationToken)
    {
        var (change, problem) = AccessTokenRequests.ForChange(body);
        if (change is null)
        {
            return problem!;
        }
        return await tokens.ChangeAsync(Owner(user), id, change, cancellationToken) is { } changed ? TypedResults.Ok(changed) : NoSuchToken();
    }

    public static async Task<IResult> DeleteToken([Description(TokenPath)] Guid id, ClaimsPrincipal user, AccessTokenStore tokens,
        CancellationToken cancellationToken) =>
        await tokens.DeleteAsync(Owner(user), id, cancellationToken) ? TypedResults.NoContent() : NoSuchToken();

    private static TokenOwner Owner(ClaimsPrincipal user) => new(user.GetOrganizationId(), user.GetUserId());

    private static IResult NoSuchToken() => ProblemResults.NotFound("No such token", "You have no token with this id or value.");
}

public sealed record TokenList(IReadOnlyList<AccessTokenView> Tokens);
