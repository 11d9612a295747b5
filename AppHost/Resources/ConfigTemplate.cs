using System.Text.RegularExpressions;

namespace CartoSelfHosted.AppHost.Resources;

/// <summary>
/// Renders the configuration templates kept in <c>Web/</c>: <c>${NAME}</c> placeholders (upper case) are replaced;
/// nginx's own <c>$variables</c> are left alone. The syntax is envsubst's, so a container deployment can render the
/// same files, given the values the manifest lists plus the machine-local ones AppHost adds here.
/// </summary>
public static partial class ConfigTemplate
{
    [GeneratedRegex(@"\$\{([A-Z][A-Z0-9_]*)\}")]
    private static partial Regex Placeholder();

    public static string Render(string template, IReadOnlyDictionary<string, string> values)
    {
        var missing = Placeholder().Matches(template).Select(match => match.Groups[1].Value)
            .Where(name => !values.ContainsKey(name)).Distinct().ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"The template has placeholders without a value: {string.Join(", ", missing)}.");
        }
        return Placeholder().Replace(template, match => values[match.Groups[1].Value]);
    }

    /// <summary>The placeholder prefix for a resource's values: <c>maps-api</c> gives <c>MAPS_API</c>.</summary>
    public static string PrefixFor(string resourceName) => resourceName.ToUpperInvariant().Replace('-', '_');
}
