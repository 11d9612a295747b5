using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.AccountsApi.Accounts;

/// <summary>The checks the account endpoints share on what a caller sends.</summary>
public static class AccountRequests
{
    public const int MaximumNameLength = 200;

    /// <summary>A name as stored: trimmed, and null when empty.</summary>
    public static string? Trimmed(string? name) => string.IsNullOrWhiteSpace(name) ? null : name.Trim();

    public static IResult? NameProblem(string? name, string field) => Trimmed(name) is { Length: > MaximumNameLength }
        ? ProblemResults.BadRequest("Name too long", $"{field} is at most {MaximumNameLength} characters.")
        : null;

    /// <summary>A role a user can have, or a problem that names them.</summary>
    public static IResult? RoleProblem(string? role) => role is not null && Platform.Security.PlatformRoles.All.Contains(role)
        ? null
        : ProblemResults.BadRequest("Invalid role", $"role is one of {string.Join(", ", Platform.Security.PlatformRoles.All)}.");
}
