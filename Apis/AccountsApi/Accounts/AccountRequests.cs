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

    public static IResult? PasswordProblem(string? password) =>
        Passwords.Weakness(password) is { } weakness ? ProblemResults.BadRequest("Weak password", weakness) : null;

    /// <summary>A one-time link's token that cannot be one is refused without a lookup, as an unknown one is.</summary>
    public static IResult? LinkProblem(string? token) => AccountLinks.CouldBeToken(token) ? null : AccountProblems.InvalidLink();

    /// <summary>A role a user can have, or a problem that names them.</summary>
    public static IResult? RoleProblem(string? role) => role is not null && Platform.Security.PlatformRoles.All.Contains(role)
        ? null
        : ProblemResults.BadRequest("Invalid role", $"role is one of {string.Join(", ", Platform.Security.PlatformRoles.All)}.");
}
