using Microsoft.AspNetCore.Identity;

namespace CartoSelfHosted.AccountsApi.Accounts;

/// <summary>
/// Passwords: ASP.NET Core Identity's hasher (PBKDF2-HMAC-SHA512, 100,000 iterations, a salt per hash) and the platform's
/// minimum strength. The rule follows NIST SP 800-63B: length over composition (no "a digit and a symbol" rule), with
/// a floor on distinct characters so that "aaaaaaaaaaaa" or "abababababab" does not pass.
/// </summary>
public sealed class Passwords
{
    public const int MinimumLength = 12;

    /// <summary>Bounds the hash's work and the body; a passphrase fits.</summary>
    public const int MaximumLength = 128;

    public const int MinimumDistinctCharacters = 5;

    public const string Rule = "A password has 12 to 128 characters, at least 5 of them different.";

    // The hasher reads nothing of the user it is given.
    private readonly PasswordHasher<string> _hasher = new();

    // Verified against when the address has no account, so that a sign-in takes as long whether it has one or not.
    private readonly string _unknownUserHash;

    public Passwords() => _unknownUserHash = Hash(Guid.NewGuid().ToString());

    /// <summary>Null when the password is strong enough, else what is wrong with it (never the password itself).</summary>
    public static string? Weakness(string? password) => password switch
    {
        null or "" => "password is missing.",
        { Length: < MinimumLength } => $"The password is too short. {Rule}",
        { Length: > MaximumLength } => $"The password is too long. {Rule}",
        _ when password.Distinct().Count() < MinimumDistinctCharacters => $"The password repeats too few characters. {Rule}",
        _ => null,
    };

    public string Hash(string password) => _hasher.HashPassword(string.Empty, password);

    /// <summary>Whether the password matches; <paramref name="rehashed"/> is a new hash when the stored one is of older parameters.</summary>
    public bool Verify(string? hash, string password, out string? rehashed)
    {
        rehashed = null;
        var result = _hasher.VerifyHashedPassword(string.Empty, hash ?? _unknownUserHash, password);
        if (hash is null || result == PasswordVerificationResult.Failed)
        {
            return false;
        }
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            rehashed = Hash(password);
        }
        return true;
    }
}
