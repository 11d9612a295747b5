using Npgsql;

namespace CartoSelfHosted.Platform.Connections;

/// <summary>PostgreSQL's <c>sslmode</c> values as libpq spells them (what users type and what is stored), and Npgsql's.</summary>
public static class PostgresSslModes
{
    private static readonly IReadOnlyDictionary<string, SslMode> ByName = new Dictionary<string, SslMode>(StringComparer.OrdinalIgnoreCase)
    {
        ["disable"] = SslMode.Disable,
        ["allow"] = SslMode.Allow,
        ["prefer"] = SslMode.Prefer,
        ["require"] = SslMode.Require,
        ["verify-ca"] = SslMode.VerifyCA,
        ["verify-full"] = SslMode.VerifyFull,
    };

    public static IEnumerable<string> Names => ByName.Keys;

    public static SslMode? Parse(string name) => ByName.TryGetValue(name, out var mode) ? mode : null;

    public static string Name(SslMode mode) => ByName.First(pair => pair.Value == mode).Key;
}
