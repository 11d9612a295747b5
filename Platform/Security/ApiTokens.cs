using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using CartoSelfHosted.ServiceDefaults.Telemetry;

namespace CartoSelfHosted.Platform.Security;

/// <summary>How API tokens are made and how they are looked up without ever being stored.</summary>
public static class ApiTokens
{
    /// <summary>What every token begins with: what the platform's logs and traces redact wherever a path carries one.</summary>
    public const string Prefix = TokenRedaction.TokenPrefix;

    /// <summary>The name the development token (<c>Auth:BootstrapToken</c>) is stored under.</summary>
    public const string DevelopmentTokenName = "development";

    public static string Generate() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
