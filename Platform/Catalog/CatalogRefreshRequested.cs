using CartoSelfHosted.Platform.Messaging;

namespace CartoSelfHosted.Platform.Catalog;

/// <summary>
/// Someone asked for a connection's catalog to be read again (a user's own database, whose changes the platform does
/// not see), published on the workspace-events topic; workspace-subscriber reads it and purges its cached listings.
/// <see cref="UserId"/> is whose connection it may be (a private one is its owner's).
/// </summary>
public sealed record CatalogRefreshRequested(Guid OrganizationId, string OrganizationSlug, Guid? UserId, string Connection) : IMessage
{
    public static string MessageType => "catalog-refresh-requested";

    public string OrderingKey => $"{OrganizationId:N}:{Connection}";
}
