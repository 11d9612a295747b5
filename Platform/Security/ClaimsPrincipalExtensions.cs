using System.Security.Claims;

namespace CartoSelfHosted.Platform.Security;

public static class ClaimsPrincipalExtensions
{
    public static Guid GetOrganizationId(this ClaimsPrincipal user) =>
        Guid.Parse(user.FindFirstValue(ApiTokenClaims.OrganizationId)
            ?? throw new InvalidOperationException("The request was not authenticated with an API token."));

    public static string GetOrganizationSlug(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiTokenClaims.OrganizationSlug)
            ?? throw new InvalidOperationException("The request was not authenticated with an API token.");
}
