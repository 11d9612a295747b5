namespace CartoSelfHosted.Platform.Security;

/// <summary>
/// What a member of an organization may do. A user's role comes from the users table at every request (so a change
/// holds at once); an API token's from its scopes (the development token is <c>admin</c>).
/// </summary>
public static class PlatformRoles
{
    /// <summary>Everything an editor may, and the organization's users, tokens and settings.</summary>
    public const string Admin = "admin";

    /// <summary>Imports, maps and datasets, batch SQL jobs: whatever writes to the organization's data.</summary>
    public const string Editor = "editor";

    /// <summary>Reads: maps, tiles, SQL queries, datasets.</summary>
    public const string Viewer = "viewer";

    public static readonly IReadOnlyList<string> All = [Admin, Editor, Viewer];
}

/// <summary>The authorization policies an endpoint names in <c>RequireAuthorization</c>.</summary>
public static class PlatformPolicies
{
    /// <summary>An admin or an editor: endpoints that write to the organization's data (imports, batch SQL jobs).</summary>
    public const string Edit = "edit";

    /// <summary>An admin: the organization's users, invitations and settings.</summary>
    public const string Administer = "administer";

    /// <summary>
    /// Why an admin of another organization is refused what only the installation's admins may do (the admins of its first
    /// organization, <see cref="ClaimsPrincipalExtensions.IsOfFirstOrganization"/>).
    /// </summary>
    public const string NotInstallationAdmin = "The caller is not an admin of the installation's first organization.";
}
