namespace CartoSelfHosted.Platform.Connections;

/// <summary>A connection of an organization as the metadata database keeps it; its password stays encrypted there.</summary>
public sealed record StoredConnection(
    Guid Id,
    Guid OrganizationId,
    Guid? OwnerId,
    string Name,
    string Provider,
    PostgresConnectionSettings Settings,
    string Privacy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public const string PostgresProvider = "postgres";

    /// <summary>Only its owner uses it.</summary>
    public const string PrivatePrivacy = "private";

    /// <summary>Every user of its organization uses it.</summary>
    public const string SharedPrivacy = "shared";
}
