using System.Security.Claims;
using System.Text.Json;

namespace CartoSelfHosted.Platform.Security;

public static class ClaimsPrincipalExtensions
{
    public static Guid GetOrganizationId(this ClaimsPrincipal user) =>
        Guid.Parse(user.FindFirstValue(ApiTokenClaims.OrganizationId)
            ?? throw new InvalidOperationException("The request was not authenticated with an API token."));

    public static string GetOrganizationSlug(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiTokenClaims.OrganizationSlug)
            ?? throw new InvalidOperationException("The request was not authenticated with an API token.");

    /// <summary>The user the token speaks for; null for an organization's API token that no user holds.</summary>
    public static Guid? GetUserId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiTokenClaims.UserId) is { } id ? Guid.Parse(id) : null;

    /// <summary>The sign-in session the token belongs to; null for an API token.</summary>
    public static Guid? GetSessionId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiTokenClaims.SessionId) is { } id ? Guid.Parse(id) : null;

    /// <summary>Whether the token is an API access token (made with CARTO's Tokens API), limited to its grants.</summary>
    public static bool IsApiAccessToken(this ClaimsPrincipal user) => user.HasClaim(claim => claim.Type == ApiTokenClaims.AllowedApi);

    /// <summary>The sources an API access token may read; null for any other token, which reads all its organization may.</summary>
    public static IReadOnlyList<SourceGrant>? GetSourceGrants(this ClaimsPrincipal user) => user.IsApiAccessToken()
        ? user.FindAll(ApiTokenClaims.SourceGrant).Select(claim => JsonSerializer.Deserialize<SourceGrant>(claim.Value)!).ToList()
        : null;
}
