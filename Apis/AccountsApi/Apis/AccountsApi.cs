using System.Security.Claims;
using CartoSelfHosted.Platform.Security;

namespace CartoSelfHosted.AccountsApi.Apis;

public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/accounts").WithTags("Accounts");
        api.MapGet("/me", GetCurrentAccount)
            .WithSummary("The presented token's account")
            .WithDescription("Who the token speaks for: its organization (id and slug) and the token itself (id, name and scopes).");
        return app;
    }

    /// <summary>Who the presented token speaks for: its organization, and what it may do.</summary>
    public static CurrentAccount GetCurrentAccount(ClaimsPrincipal user) => new(
        new OrganizationSummary(user.GetOrganizationId(), user.GetOrganizationSlug()),
        new TokenSummary(Guid.Parse(user.FindFirstValue(ApiTokenClaims.TokenId)!), user.Identity!.Name!,
            user.FindAll(ApiTokenClaims.Scope).Select(claim => claim.Value).ToList()));
}

public sealed record CurrentAccount(OrganizationSummary Organization, TokenSummary Token);

public sealed record OrganizationSummary(Guid Id, string Slug);

public sealed record TokenSummary(Guid Id, string Name, IReadOnlyList<string> Scopes);
