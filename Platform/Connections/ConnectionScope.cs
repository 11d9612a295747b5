using System.Security.Claims;
using CartoSelfHosted.Platform.Security;

namespace CartoSelfHosted.Platform.Connections;

/// <summary>
/// Who asks for a connection by its name: the connections they may use are their organization's shared ones and their
/// own private ones. A token that is no user's (the development token before the first sign-up) sees the shared ones.
/// </summary>
public sealed record ConnectionScope(Guid OrganizationId, string OrganizationSlug, Guid? UserId)
{
    public static ConnectionScope Of(ClaimsPrincipal user) => new(user.GetOrganizationId(), user.GetOrganizationSlug(), user.GetUserId());
}
