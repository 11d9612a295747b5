using System.Security.Cryptography;
using System.Text;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Security;
using Npgsql;

namespace CartoSelfHosted.AccountsApi.Accounts;

public sealed record UserView(Guid Id, string Email, string? Name, string Role, DateTimeOffset CreatedAt);

public sealed record OrganizationView(Guid Id, string Slug, string Name);

/// <summary>A user and the organization it belongs to.</summary>
public sealed record AccountView(UserView User, OrganizationView Organization);

/// <summary>What sign-in needs of an account: never sent to a client.</summary>
public sealed record SignInCandidate(Guid UserId, Guid OrganizationId, string? PasswordHash, DateTimeOffset? LockedUntil);

public enum SignUpOutcome { Created, Closed, EmailTaken }

public enum MembershipChange { Done, NoSuchUser, LastAdmin }

/// <summary>Organizations and their users in the metadata database. Every value is a parameter; nothing is pasted into SQL.</summary>
public sealed class AccountStore(MetadataDatabase metadata)
{
    private const string UserColumns = "u.id, u.email, u.display_name, u.role, u.created_at";

    /// <summary>
    /// The installation's first sign-up takes the default organization (the one the development token belongs to, whose
    /// warehouse schema and role may already hold data) and becomes its admin; the development token becomes that
    /// admin's. Later sign-ups, while an admin keeps sign-up open, make an organization of their own.
    /// </summary>
    public async Task<(SignUpOutcome Outcome, AccountView? Account)> SignUpAsync(string email, string passwordHash, string? name,
        string? organizationName, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The settings row is the lock two first sign-ups at once queue on: one takes the default organization.
        var (signUpOpen, anyUser) = await connection.ReadSingleAsync("""
            SELECT sign_up_open, EXISTS (SELECT 1 FROM users) FROM installation_settings FOR UPDATE
            """, reader => (reader.GetBoolean(0), reader.GetBoolean(1)), cancellationToken);
        if (anyUser && !signUpOpen)
        {
            return (SignUpOutcome.Closed, null);
        }
        if (await EmailTakenAsync(connection, email, cancellationToken))
        {
            return (SignUpOutcome.EmailTaken, null);
        }

        OrganizationView organization;
        if (!anyUser)
        {
            organization = await connection.ReadSingleAsync("""
                UPDATE organizations SET name = coalesce($2, name) WHERE id = $1 RETURNING id, slug, name
                """, ReadOrganization, cancellationToken, MetadataDatabase.DefaultOrganizationId, (object?)organizationName ?? DBNull.Value);
        }
        else
        {
            var displayName = organizationName ?? email[(email.IndexOf('@', StringComparison.Ordinal) + 1)..];
            organization = await connection.ReadSingleAsync("""
                INSERT INTO organizations (slug, name) VALUES ($1, $2) RETURNING id, slug, name
                """, ReadOrganization, cancellationToken, NewSlug(displayName), displayName);
        }
        var user = await InsertUserAsync(connection, organization.Id, email, name, PlatformRoles.Admin, passwordHash, cancellationToken);
        if (!anyUser)
        {
            await connection.ExecuteAsync("""
                UPDATE api_tokens SET user_id = $2
                WHERE organization_id = $1 AND name = $3 AND user_id IS NULL AND session_id IS NULL
                """, cancellationToken, MetadataDatabase.DefaultOrganizationId, user.Id, ApiTokens.DevelopmentTokenName);
        }
        await transaction.CommitAsync(cancellationToken);
        return (SignUpOutcome.Created, new AccountView(user, organization));
    }

    /// <summary>A new member of an organization (an accepted invitation), on the caller's open transaction.</summary>
    public static async Task<AccountView?> JoinAsync(NpgsqlConnection connection, Guid organizationId, string email, string? name,
        string role, string passwordHash, CancellationToken cancellationToken)
    {
        if (await EmailTakenAsync(connection, email, cancellationToken))
        {
            return null;
        }
        var user = await InsertUserAsync(connection, organizationId, email, name, role, passwordHash, cancellationToken);
        var organization = await connection.ReadSingleAsync("SELECT id, slug, name FROM organizations WHERE id = $1", ReadOrganization,
            cancellationToken, organizationId);
        return new AccountView(user, organization);
    }

    public async Task<SignInCandidate?> FindForSignInAsync(string email, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ReadSingleOrDefaultAsync("""
            SELECT id, organization_id, password_hash, CASE WHEN locked_until > now() THEN locked_until END FROM users WHERE email = $1
            """, reader => new SignInCandidate(reader.GetGuid(0), reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3)), cancellationToken, email);
    }

    /// <summary>Counts a wrong password; the one that reaches the limit locks the account and starts the count again.</summary>
    public async Task RecordFailedSignInAsync(Guid userId, int maxFailures, TimeSpan lockout, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("""
            UPDATE users SET
                locked_until = CASE WHEN failed_sign_ins + 1 >= $2 THEN now() + $3 ELSE locked_until END,
                failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= $2 THEN 0 ELSE failed_sign_ins + 1 END
            WHERE id = $1
            """, cancellationToken, userId, maxFailures, lockout);
    }

    public async Task RecordSignInAsync(Guid userId, string? rehashedPassword, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("""
            UPDATE users SET failed_sign_ins = 0, locked_until = NULL, password_hash = coalesce($2, password_hash) WHERE id = $1
            """, cancellationToken, userId, (object?)rehashedPassword ?? DBNull.Value);
    }

    public static async Task<Guid?> SetPasswordAsync(NpgsqlConnection connection, string email, string passwordHash, CancellationToken cancellationToken) =>
        await connection.ReadSingleOrDefaultAsync("""
            UPDATE users SET password_hash = $2, failed_sign_ins = 0, locked_until = NULL WHERE email = $1 RETURNING id
            """, reader => (Guid?)reader.GetGuid(0), cancellationToken, email, passwordHash);

    public async Task<bool> EmailTakenAsync(string email, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        return await EmailTakenAsync(connection, email, cancellationToken);
    }

    public async Task<IReadOnlyList<UserView>> ListUsersAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand($"SELECT {UserColumns} FROM users u WHERE u.organization_id = $1 ORDER BY u.created_at, u.email",
            organizationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var users = new List<UserView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add(ReadUser(reader));
        }
        return users;
    }

    /// <summary>Changes a member's role; the organization's last admin stays one, so someone can always manage it.</summary>
    public Task<(MembershipChange Change, UserView? User)> ChangeRoleAsync(Guid organizationId, Guid userId, string role,
        CancellationToken cancellationToken) =>
        ChangeMembershipAsync(organizationId, userId, role == PlatformRoles.Admin, cancellationToken, async connection =>
            await connection.ReadSingleAsync($"UPDATE users u SET role = $3 WHERE u.id = $1 AND u.organization_id = $2 RETURNING {UserColumns}",
                ReadUser, cancellationToken, userId, organizationId, role));

    /// <summary>
    /// Removes a member. Its sessions and tokens are deleted with it (ON DELETE CASCADE), so every API refuses them from its
    /// next lookup. What it made passes to an admin — <paramref name="heirId"/> (the admin removing it), or the organization's
    /// longest-standing other admin: its saved maps (with a public map's token, so the map stays published) and its
    /// connections. The organization's last admin cannot be removed.
    /// </summary>
    public async Task<MembershipChange> RemoveAsync(Guid organizationId, Guid userId, Guid? heirId, CancellationToken cancellationToken) =>
        (await ChangeMembershipAsync(organizationId, userId, staysAdmin: false, cancellationToken, async connection =>
        {
            var heir = heirId is { } caller && caller != userId
                ? caller
                : await connection.ReadSingleAsync(
                    "SELECT id FROM users WHERE organization_id = $1 AND role = 'admin' AND id <> $2 ORDER BY created_at, id LIMIT 1",
                    reader => reader.GetGuid(0), cancellationToken, organizationId, userId);
            await connection.ExecuteAsync("UPDATE maps SET owner_id = $2 WHERE owner_id = $1", cancellationToken, userId, heir);
            await connection.ExecuteAsync("UPDATE connections SET owner_id = $2 WHERE owner_id = $1", cancellationToken, userId, heir);
            await connection.ExecuteAsync("UPDATE api_tokens SET user_id = $2 WHERE user_id = $1 AND map_id IS NOT NULL AND revoked_at IS NULL",
                cancellationToken, userId, heir);
            await connection.ExecuteAsync("DELETE FROM users WHERE id = $1 AND organization_id = $2", cancellationToken, userId, organizationId);
            return null;
        })).Change;

    private async Task<(MembershipChange Change, UserView? User)> ChangeMembershipAsync(Guid organizationId, Guid userId, bool staysAdmin,
        CancellationToken cancellationToken, Func<NpgsqlConnection, Task<UserView?>> change)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The organization's row serializes changes to its members, so two admins demoting each other leave one.
        await connection.ExecuteAsync("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE", cancellationToken, organizationId);
        var role = await connection.ReadSingleOrDefaultAsync("SELECT role FROM users WHERE id = $1 AND organization_id = $2",
            reader => reader.GetString(0), cancellationToken, userId, organizationId);
        if (role is null)
        {
            return (MembershipChange.NoSuchUser, null);
        }
        if (role == PlatformRoles.Admin && !staysAdmin)
        {
            var admins = await connection.ReadSingleAsync("SELECT count(*) FROM users WHERE organization_id = $1 AND role = $2",
                reader => reader.GetInt64(0), cancellationToken, organizationId, PlatformRoles.Admin);
            if (admins == 1)
            {
                return (MembershipChange.LastAdmin, null);
            }
        }
        var user = await change(connection);
        await transaction.CommitAsync(cancellationToken);
        return (MembershipChange.Done, user);
    }

    public async Task<bool> IsSignUpOpenAsync(CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ReadSingleAsync("SELECT sign_up_open FROM installation_settings", reader => reader.GetBoolean(0), cancellationToken);
    }

    public async Task SetSignUpOpenAsync(bool open, CancellationToken cancellationToken)
    {
        await using var connection = await metadata.DataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE installation_settings SET sign_up_open = $1, updated_at = now()", cancellationToken, open);
    }

    private static async Task<bool> EmailTakenAsync(NpgsqlConnection connection, string email, CancellationToken cancellationToken) =>
        await connection.ReadSingleAsync("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)", reader => reader.GetBoolean(0), cancellationToken, email);

    private static Task<UserView> InsertUserAsync(NpgsqlConnection connection, Guid organizationId, string email, string? name, string role,
        string passwordHash, CancellationToken cancellationToken) =>
        connection.ReadSingleAsync($"""
            INSERT INTO users AS u (organization_id, email, display_name, role, password_hash) VALUES ($1, $2, $3, $4, $5)
            RETURNING {UserColumns}
            """, ReadUser, cancellationToken, organizationId, email, (object?)name ?? DBNull.Value, role, passwordHash);

    /// <summary>A slug for a new organization (it names its warehouse schema and role): its name's letters and digits, and a random suffix.</summary>
    private static string NewSlug(string organizationName)
    {
        var letters = new StringBuilder();
        foreach (var character in organizationName.ToLowerInvariant())
        {
            if (character is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                letters.Append(character);
            }
            else if (letters.Length > 0 && letters[^1] != '_')
            {
                letters.Append('_');
            }
        }
        var stem = letters.ToString().Trim('_');
        stem = stem.Length == 0 || !char.IsAsciiLetterLower(stem[0]) ? "org_" + stem : stem;
        return $"{stem[..Math.Min(stem.Length, 30)].TrimEnd('_')}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
    }

    private static UserView ReadUser(NpgsqlDataReader reader) => new(reader.GetGuid(0), reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4));

    private static OrganizationView ReadOrganization(NpgsqlDataReader reader) => new(reader.GetGuid(0), reader.GetString(1), reader.GetString(2));
}
