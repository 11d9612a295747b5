using System.Security.Cryptography;
using System.Text.Json;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// A secret the platform generates once and keeps in <c>.data/&lt;name&gt;</c> (readable by its owner only), like an
/// Aspire parameter with a generated default. The manifest names it; it never contains the value.
/// </summary>
public sealed class ParameterResource(string name, bool secret, Func<string> generate, RunContext context) : Resource(name)
{
    private readonly Lazy<string> _value = new(() => LoadOrCreate(Path.Combine(context.DataDirectory, name), generate));

    public bool Secret { get; } = secret;

    public override string ResourceType => "parameter.v0";

    public string Value => _value.Value;

    public ReferenceExpression Reference => new(() => Value, $"{{{Name}.value}}");

    public static string GenerateAlphanumeric(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        return RandomNumberGenerator.GetString(alphabet, length);
    }

    public override void WriteManifest(Utf8JsonWriter writer, ManifestContext context)
    {
        writer.WriteString("type", ResourceType);
        writer.WriteString("value", $"{{{Name}.inputs.value}}");
        writer.WriteStartObject("inputs");
        writer.WriteStartObject("value");
        writer.WriteString("type", "string");
        writer.WriteBoolean("secret", Secret);
        writer.WriteStartObject("default");
        writer.WriteStartObject("generate");
        writer.WriteNumber("minLength", 22);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static string LoadOrCreate(string path, Func<string> generate)
    {
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var value = generate();
        WriteSecretFile(path, value + "\n");
        return value;
    }

    /// <summary>Creates the file readable by its owner only from the start: never a moment with the secret world-readable.</summary>
    public static void WriteSecretFile(string path, string contents)
    {
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var writer = new StreamWriter(file);
        writer.Write(contents);
    }
}
