namespace CartoSelfHosted.ServiceDefaults.Telemetry;

/// <summary>
/// CARTO's Tokens API names a token by its value in the path (<c>/api/v3/tokens/{token}</c>), and paths go into access
/// logs and traces. Every platform token begins with <see cref="TokenPrefix"/>, so a path segment that does is a
/// credential, and what records paths writes it as <see cref="Redacted"/>.
/// </summary>
public static class TokenRedaction
{
    /// <summary>What every token the platform makes begins with (Platform/Security's <c>ApiTokens</c>).</summary>
    public const string TokenPrefix = "cst_";

    // Plain letters: the access log escapes what a URL would, and the redacted path stays readable there.
    public const string Redacted = TokenPrefix + "REDACTED";

    /// <summary>The path with its token segments redacted; null when it has none (the common case, which allocates nothing).</summary>
    public static string? RedactPath(string? path)
    {
        if (path is null || !path.Contains("/" + TokenPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (segments[i].StartsWith(TokenPrefix, StringComparison.Ordinal))
            {
                segments[i] = Redacted;
            }
        }
        return string.Join('/', segments);
    }
}
