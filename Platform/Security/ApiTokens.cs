using System.Security.Cryptography;
using System.Text;

namespace CartoSelfHosted.Platform.Security;

/// <summary>How API tokens are made and how they are looked up without ever being stored.</summary>
public static class ApiTokens
{
    public const string Prefix = "cst_";

    public static string Generate() => Prefix + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
