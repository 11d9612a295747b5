using System.Security.Cryptography;
using System.Text;

namespace CartoSelfHosted.Platform.Warehouse;

/// <summary>
/// The login of an organization's warehouse role. Its password is derived from the warehouse's administrator password,
/// so every service that already holds that secret can log in as any organization without another secret to hand
/// around, store or rotate; and PostgreSQL only ever receives its SCRAM verifier, never the password itself.
/// </summary>
public static class OrganizationRoles
{
    public static string Password(string administratorPassword, string role)
    {
        var key = SHA256.HashData(Encoding.UTF8.GetBytes("carto-self-hosted/organization-role/" + administratorPassword));
        return Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(role)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The SCRAM-SHA-256 verifier PostgreSQL stores for <paramref name="password"/> (RFC 7677, 4096 iterations).</summary>
    public static string ScramVerifier(string password)
    {
        const int iterations = 4096;
        var salt = RandomNumberGenerator.GetBytes(16);
        var saltedPassword = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(saltedPassword, "Client Key"u8);
        var serverKey = HMACSHA256.HashData(saltedPassword, "Server Key"u8);
        return $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(SHA256.HashData(clientKey))}:{Convert.ToBase64String(serverKey)}";
    }
}
