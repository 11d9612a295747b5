using System.Net.Mail;

namespace CartoSelfHosted.AccountsApi.Accounts;

/// <summary>E-mail addresses as accounts keep them: trimmed and lower-case, so one address is one account.</summary>
public static class EmailAddresses
{
    /// <summary>The longest address SMTP carries (RFC 5321).</summary>
    public const int MaximumLength = 254;

    public const string Rule = "email is an e-mail address (name@example.com), at most 254 characters.";

    public static string? Normalize(string? email)
    {
        var trimmed = email?.Trim().ToLowerInvariant();
        return trimmed is { Length: > 0 and <= MaximumLength } && MailAddress.TryCreate(trimmed, out var address)
            && address.Address == trimmed && trimmed.Contains('@', StringComparison.Ordinal)
            ? trimmed
            : null;
    }
}
