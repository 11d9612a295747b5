using System.Security.Claims;
using CartoSelfHosted.Platform.Metadata;

namespace CartoSelfHosted.Platform.Security;

public static class ClaimsPrincipalExtensions
{
    public static Guid GetOrganizationId(this ClaimsPrincipal user) =>
        Guid.Parse(user.FindFirstValue(ApiTokenClaims.OrganizationId)
            ?? throw new InvalidOperationException("The request was not authenticated with an API token."));

    /// <summary>
    /// Whether the caller speaks for the installation's first organization (the one the first sign-up took), whose admins
    /// administer the installation itself: its settings, and what every organization shares.
    /// </summary>
    public static bool IsOfFirstOrganization(this ClaimsPrincipal user) => user.GetOrganizationId() == MetadataDatabase.DefaultOrganizationId;

    public static string GetOrganizationSlug(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiTokenClaims.OrganizationSlug)
            ?? throw new InvalidOperationException("The request was not authenticated with an API token.");

    /// <summary>The user the token speaks for; null for an organization's API token that no user holds.</summary>
    public static Guid? GetUserId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiTokenClaims.UserId) is { } id ? Guid.Parse(id) : null;

    /// <summary>The sign-in session the token belongs to; null for an API token.</summary>
    public static Guid? GetSessionId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiTokenClaims.SessionId) is { } id ? Guid.Parse(id) : null;

    /// <summary>
    /// The API access token's limits (grants, allowed APIs, referers) when the request came with one (made with CARTO's
    /// Tokens API); null for any other token, which reads all its organization may.
    /// </summary>
    public static ApiTokenGrant? GetApiAccessToken(this ClaimsPrincipal user) =>
        user.Identity is ApiTokenIdentity { Grant.SourceGrants: not null } identity ? identity.Grant : null;

    /// <summary>The sources an API access token may read; null for any other token, which reads all its organization may.</summary>
    public static IReadOnlyList<SourceGrant>? GetSourceGrants(this ClaimsPrincipal user) => user.GetApiAccessToken()?.SourceGrants;
}
