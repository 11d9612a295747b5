using System.Text.RegularExpressions;

namespace CartoSelfHosted.AppHost.Hosting;

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

/// <summary>A server configured from a template in the repository, with values from the resources it talks to.</summary>
public abstract class TemplatedResource(string name, string templatePath) : ExecutableResource(name)
{
    /// <summary>The template, relative to the repository root.</summary>
    public string TemplatePath { get; } = templatePath;

    /// <summary>Values both AppHost and a container deployment know: addresses of the resources it talks to.</summary>
    public Dictionary<string, ReferenceExpression> TemplateValues { get; } = new(StringComparer.Ordinal);

    protected void AddAddressOf(IResourceWithServiceEndpoint resource)
    {
        var (host, port) = resource.HostAndPort("http");
        var prefix = ConfigTemplate.PrefixFor(resource.Name);
        TemplateValues[prefix + "_HOST"] = host;
        TemplateValues[prefix + "_PORT"] = port;
    }

    /// <summary>Renders the template with the shared values plus <paramref name="local"/> ones (paths of this machine).</summary>
    protected async Task<string> RenderAsync(RunContext context, IReadOnlyDictionary<string, string> local, string outputPath,
        CancellationToken cancellationToken)
    {
        var values = TemplateValues.ToDictionary(pair => pair.Key, pair => pair.Value.Runtime(), StringComparer.Ordinal);
        foreach (var (key, value) in local)
        {
            values[key] = value;
        }
        var template = await File.ReadAllTextAsync(context.InRepository(TemplatePath), cancellationToken);
        await File.WriteAllTextAsync(outputPath, ConfigTemplate.Render(template, values), cancellationToken);
        return outputPath;
    }

    protected void WriteTemplateEnvironment(System.Text.Json.Utf8JsonWriter writer)
    {
        writer.WriteStartObject("env");
        foreach (var (key, value) in TemplateValues.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, value.Manifest);
        }
        writer.WriteEndObject();
    }
}
