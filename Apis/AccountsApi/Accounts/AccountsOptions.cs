namespace CartoSelfHosted.AccountsApi.Accounts;

/// <summary>The <c>Accounts</c> section: lifetimes, lockout and rate limits of sign-in.</summary>
public sealed class AccountsOptions
{
    public const string Section = "Accounts";

    /// <summary>
    /// The origin the links in invitations and password resets start with (<c>https://maps.example.com</c>). Without it,
    /// the origin the request reached the router at; set it when the router is reachable under a name a caller could fake.
    /// </summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>How long a user access token works; a client gets a new one with its refresh token.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a sign-in lasts (its refresh token and its cookie), from the sign-in.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How long an invitation or password-reset link works.</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Wrong passwords in a row that lock an account for <see cref="LockoutDuration"/>.</summary>
    public int MaxFailedSignIns { get; set; } = 10;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sign-ins and password-reset requests one e-mail address may have per <see cref="AddressWindow"/> (per replica).</summary>
    public int AttemptsPerAddress { get; set; } = 20;

    public TimeSpan AddressWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Requests one client address may make to the endpoints that need no token, per <see cref="IpWindow"/> (per replica).</summary>
    public int RequestsPerIp { get; set; } = 60;

    public TimeSpan IpWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Where invitation and password-reset links are sent from; without a host, they go to the log only.</summary>
    public SmtpOptions Smtp { get; set; } = new();
}

/// <summary>The section <c>Accounts:Smtp</c>: a mail server for the one-time links.</summary>
public sealed class SmtpOptions
{
    /// <summary>The server's name or address; none (the default) sends nothing.</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    /// <summary>
    /// <c>Auto</c> (TLS on port 465, STARTTLS where the server offers it), <c>StartTls</c> (required), <c>SslOnConnect</c>
    /// or <c>None</c> (a local relay): MailKit's <c>SecureSocketOptions</c>.
    /// </summary>
    public MailKit.Security.SecureSocketOptions Security { get; set; } = MailKit.Security.SecureSocketOptions.Auto;

    /// <summary>The sender's address, needed with a host: <c>maps@example.com</c> or <c>Maps &lt;maps@example.com&gt;</c>.</summary>
    public string? From { get; set; }

    /// <summary>A login, when the server asks for one. The password is a secret: set it from one, never log it.</summary>
    public string? UserName { get; set; }

    public string? Password { get; set; }
}
