using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.AccountsApi.Accounts;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Accounts;

/// <summary>Sign-in and what follows it, against accounts-api on a fresh installation of each test's own.</summary>
public sealed class SignInTests
{
    [Fact]
    public async Task TenWrongPasswordsLockTheAccountAndTwentyAttemptsAreRateLimited()
    {
        await using var installation = await AccountsInstallation.StartAsync("acc_lockout");
        await installation.SignUpAdminAsync();
        for (var attempt = 1; attempt <= 10; attempt++)
        {
            using var wrong = await installation.TrySignInAsync(AccountsInstallation.AdminEmail, $"wrong password {attempt}");
            await AccountsInstallation.AssertProblemAsync(wrong, HttpStatusCode.Unauthorized);
        }

        // Locked: even the right password is refused until Retry-After, about 15 minutes.
        using (var locked = await installation.TrySignInAsync(AccountsInstallation.AdminEmail, AccountsInstallation.AdminPassword))
        {
            var problem = await AccountsInstallation.AssertProblemAsync(locked, HttpStatusCode.Forbidden);
            Assert.Equal(AccountProblems.AccountLockedType, problem.GetProperty("type").GetString());
            Assert.InRange(locked.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 14 * 60, 15 * 60);
        }
        // The sign-up's own sign-in, these 10 and the locked one are 12 of the address's 20; the 21st attempt is a 429.
        for (var attempt = 13; attempt <= 20; attempt++)
        {
            using var refused = await installation.TrySignInAsync(AccountsInstallation.AdminEmail, "wrong password");
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using (var limited = await installation.TrySignInAsync(AccountsInstallation.AdminEmail, AccountsInstallation.AdminPassword))
        {
            await AccountsInstallation.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
            Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 15 * 60);
        }
        // Another address is not held back by this one's limit.
        using (var other = await installation.TrySignInAsync("someone@example.com", "whatever password"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        }

        // When the lock ends (here: made to end), the right password works and the count starts again.
        await using (var metadata = NpgsqlDataSource.Create(installation.Api.Metadata))
        await using (var unlock = metadata.CreateCommand("UPDATE users SET locked_until = now() - interval '1 second'"))
        {
            await unlock.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }
        await using var fresh = await AccountsInstallation.StartAsync("acc_lockout_2", new Dictionary<string, string>
        {
            ["ConnectionStrings:metadata"] = installation.Api.Metadata,
        });
        await fresh.SignInAsync(AccountsInstallation.AdminEmail, AccountsInstallation.AdminPassword);
    }

    [Fact]
    public async Task TheEndpointsWithoutATokenAreRateLimitedPerClientAddress()
    {
        await using var installation = await AccountsInstallation.StartAsync("acc_ip_limit", new Dictionary<string, string>
        {
            ["Accounts:RequestsPerIp"] = "5",
        });
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var wrong = await installation.TrySignInAsync($"user{attempt}@example.com", "some long password");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var limited = await installation.PostAsync(null, "/api/v3/accounts/signup", new { email = "new@example.com", password = "a long enough password" });
        await AccountsInstallation.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        // Endpoints that need a token are not limited this way.
        Assert.Equal(HttpStatusCode.OK, (await installation.Api.CreateAuthorizedClient().GetAsync("/api/v3/accounts/me",
            TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task ARefreshTokenWorksOnceAndGivesAWorkingAccessToken()
    {
        await using var installation = await AccountsInstallation.StartAsync("acc_refresh");
        var admin = await installation.SignUpAdminAsync();

        using var refreshed = await installation.PostAsync(null, "/api/v3/accounts/token", new { grant_type = "refresh_token", refresh_token = admin.RefreshToken });
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal("no-store", refreshed.Headers.CacheControl?.ToString());
        var next = await AccountsInstallation.ReadSignedInAsync(refreshed);
        Assert.NotEqual(admin.AccessToken, next.AccessToken);
        Assert.NotEqual(admin.RefreshToken, next.RefreshToken);
        Assert.Equal(AccountsInstallation.AdminEmail, (await installation.MeAsync(next.AccessToken)).GetProperty("user").GetProperty("email").GetString());

        using (var reused = await installation.PostAsync(null, "/api/v3/accounts/token", new { grant_type = "refresh_token", refresh_token = admin.RefreshToken }))
        {
            var problem = await AccountsInstallation.AssertProblemAsync(reused, HttpStatusCode.BadRequest);
            Assert.Equal(AccountProblems.InvalidGrantType, problem.GetProperty("type").GetString());
        }
        using var again = await installation.PostAsync(null, "/api/v3/accounts/token", new { grant_type = "refresh_token", refresh_token = next.RefreshToken });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task SignOutEndsTheSessionAndSignOutEverywhereEndsThemAll()
    {
        await using var installation = await AccountsInstallation.StartAsync("acc_signout");
        var first = await installation.SignUpAdminAsync();
        var second = await installation.SignInAsync(AccountsInstallation.AdminEmail, AccountsInstallation.AdminPassword);
        var third = await installation.SignInAsync(AccountsInstallation.AdminEmail, AccountsInstallation.AdminPassword);

        using (var signOut = await installation.PostAsync(first.AccessToken, "/api/v3/accounts/signout", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        }
        await Revocation.RefusedWithinASecondAsync(() => installation.Api.CreateClient(first.AccessToken)
            .GetAsync("/api/v3/accounts/me", TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        using (var refresh = await installation.PostAsync(null, "/api/v3/accounts/token", new { grant_type = "refresh_token", refresh_token = first.RefreshToken }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
        }
        Assert.Equal(PlatformRoles.Admin, (await installation.MeAsync(second.AccessToken)).GetProperty("user").GetProperty("role").GetString());

        using (var everywhere = await installation.PostAsync(second.AccessToken, "/api/v3/accounts/signout-everywhere", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, everywhere.StatusCode);
        }
        foreach (var session in new[] { second, third })
        {
            await Revocation.RefusedWithinASecondAsync(() => installation.Api.CreateClient(session.AccessToken)
                .GetAsync("/api/v3/accounts/me", TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        }
        // The development token, an API token of the first admin, is not a session: it keeps working.
        Assert.Equal(HttpStatusCode.OK, (await installation.Api.CreateAuthorizedClient().GetAsync("/api/v3/accounts/me",
            TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task AnExpiredSessionStopsWorkingAndGoesAtTheUsersNextSignIn()
    {
        await using var installation = await AccountsInstallation.StartAsync("acc_expired_session");
        var admin = await installation.SignUpAdminAsync();
        await using var metadata = NpgsqlDataSource.Create(installation.Api.Metadata);
        await using (var expire = metadata.CreateCommand("""
            UPDATE user_sessions SET expires_at = now() - interval '1 second';
            UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE session_id IS NOT NULL;
            """))
        {
            await expire.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }
        await Revocation.RefusedWithinASecondAsync(() => installation.Api.CreateClient(admin.AccessToken)
            .GetAsync("/api/v3/accounts/me", TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        using (var refresh = await installation.PostAsync(null, "/api/v3/accounts/token", new { grant_type = "refresh_token", refresh_token = admin.RefreshToken }))
        {
            await AccountsInstallation.AssertProblemAsync(refresh, HttpStatusCode.BadRequest);
        }

        await installation.SignInAsync(AccountsInstallation.AdminEmail, AccountsInstallation.AdminPassword);

        await using var count = metadata.CreateCommand("SELECT count(*) FROM user_sessions s JOIN api_tokens t ON t.session_id = s.id WHERE s.expires_at <= now()");
        Assert.Equal(0L, await count.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        await using var live = metadata.CreateCommand("SELECT count(*) FROM user_sessions");
        Assert.Equal(1L, await live.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("http://localhost", false)]
    [InlineData("https://localhost", true)]
    public async Task TheSessionCookieIsHttpOnlyAndSameSiteAndItsWritesNeedTheCsrfHeader(string origin, bool secure)
    {
        await using var installation = await AccountsInstallation.StartAsync("acc_cookie");
        await installation.SignUpAdminAsync();
        var options = new WebApplicationFactoryClientOptions { BaseAddress = new Uri(origin), HandleCookies = false };
        using var browser = installation.Api.CreateClient(options);

        using var signIn = await browser.PostAsJsonAsync("/api/v3/accounts/signin",
            new { email = AccountsInstallation.AdminEmail, password = AccountsInstallation.AdminPassword }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var cookies = signIn.Headers.GetValues("Set-Cookie").ToList();
        var session = Assert.Single(cookies, cookie => cookie.StartsWith(SessionCookies.SessionCookie + "=", StringComparison.Ordinal));
        var csrf = Assert.Single(cookies, cookie => cookie.StartsWith(SessionCookies.CsrfCookie + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", session, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("httponly", csrf, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(secure, session.Contains("secure", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(secure, csrf.Contains("secure", StringComparison.OrdinalIgnoreCase));
        var cookieHeader = string.Join("; ", new[] { session, csrf }.Select(cookie => cookie.Split(';')[0]));
        var csrfValue = csrf.Split(';')[0].Split('=', 2)[1];

        // Reads with the cookie alone; writes only with the header the page copies from the CSRF cookie.
        Assert.Equal(HttpStatusCode.OK, (await AccountsInstallation.SendWithCookieAsync(browser, HttpMethod.Get, "/api/v3/accounts/me", cookieHeader, null)).StatusCode);
        using (var forged = await AccountsInstallation.SendWithCookieAsync(browser, HttpMethod.Post, "/api/v3/accounts/signout", cookieHeader, null))
        {
            var problem = await AccountsInstallation.AssertProblemAsync(forged, HttpStatusCode.Forbidden);
            Assert.Contains(SessionCookies.CsrfHeader, problem.GetProperty("detail").GetString());
        }
        using (var wrong = await AccountsInstallation.SendWithCookieAsync(browser, HttpMethod.Post, "/api/v3/accounts/signout", cookieHeader, "not-the-value"))
        {
            await AccountsInstallation.AssertProblemAsync(wrong, HttpStatusCode.Forbidden);
        }
        using (var signOut = await AccountsInstallation.SendWithCookieAsync(browser, HttpMethod.Post, "/api/v3/accounts/signout", cookieHeader, csrfValue))
        {
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
            Assert.Contains(signOut.Headers.GetValues("Set-Cookie"), cookie => cookie.StartsWith(SessionCookies.SessionCookie + "=;", StringComparison.Ordinal));
        }
        await Revocation.RefusedWithinASecondAsync(() => AccountsInstallation.SendWithCookieAsync(browser, HttpMethod.Get, "/api/v3/accounts/me", cookieHeader, null), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task APasswordResetLinkSetsANewPasswordOnceAndEndsTheSessions()
    {
        var telemetry = new CapturedTelemetry();
        await using var installation = await AccountsInstallation.StartAsync("acc_reset", telemetry: telemetry);
        var admin = await installation.SignUpAdminAsync();

        using var requested = await installation.PostAsync(null, "/api/v3/accounts/password-resets", new { email = AccountsInstallation.AdminEmail });
        using var unknown = await installation.PostAsync(null, "/api/v3/accounts/password-resets", new { email = "nobody@example.com" });
        // The same answer for an address with an account and one without.
        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, unknown.StatusCode);
        Assert.Equal(await requested.Content.ReadAsStringAsync(TestContext.Current.CancellationToken),
            await unknown.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var links = telemetry.LogLines.Where(line => line.Contains("One-time password_reset link", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(links);
        Assert.Contains(AccountsInstallation.AdminEmail, line);
        var token = AccountsInstallation.LinkToken(line.Split(' ').First(word => word.StartsWith("http://", StringComparison.Ordinal)));

        using (var weak = await installation.PostAsync(null, "/api/v3/accounts/password-resets/complete", new { token, password = "short" }))
        {
            await AccountsInstallation.AssertProblemAsync(weak, HttpStatusCode.BadRequest);
        }
        using (var reset = await installation.PostAsync(null, "/api/v3/accounts/password-resets/complete", new { token, password = "a brand new passphrase" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        }
        await Revocation.RefusedWithinASecondAsync(() => installation.Api.CreateClient(admin.AccessToken)
            .GetAsync("/api/v3/accounts/me", TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        using (var old = await installation.TrySignInAsync(AccountsInstallation.AdminEmail, AccountsInstallation.AdminPassword))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }
        await installation.SignInAsync(AccountsInstallation.AdminEmail, "a brand new passphrase");
        using (var reused = await installation.PostAsync(null, "/api/v3/accounts/password-resets/complete", new { token, password = "yet another passphrase" }))
        {
            var problem = await AccountsInstallation.AssertProblemAsync(reused, HttpStatusCode.BadRequest);
            Assert.Equal(AccountProblems.InvalidLinkType, problem.GetProperty("type").GetString());
        }
        telemetry.Dispose();
    }

    [Fact]
    public async Task AnInvitationLinkWorksOnceAndExpires()
    {
        await using var installation = await AccountsInstallation.StartAsync("acc_invitation");
        var admin = await installation.SignUpAdminAsync();
        using (var invited = await installation.PostAsync(admin.AccessToken, "/api/v3/accounts/invitations", new { email = "New@Example.com", role = "editor" }))
        {
            Assert.Equal(HttpStatusCode.Created, invited.StatusCode);
            var invitation = await invited.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            Assert.Equal("new@example.com", invitation.GetProperty("email").GetString());
            Assert.StartsWith("http://localhost/acc/invitation?token=cst_", invitation.GetProperty("link").GetString());
            var validFor = invitation.GetProperty("expiresAt").GetDateTimeOffset() - DateTimeOffset.UtcNow;
            Assert.InRange(validFor.TotalDays, 6.99, 7);
            var token = AccountsInstallation.LinkToken(invitation.GetProperty("link").GetString()!);
            using var accepted = await installation.PostAsync(null, "/api/v3/accounts/invitations/accept", new { token, password = "the new user's password" });
            Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
            using var again = await installation.PostAsync(null, "/api/v3/accounts/invitations/accept", new { token, password = "the new user's password" });
            await AccountsInstallation.AssertProblemAsync(again, HttpStatusCode.BadRequest);
        }
        using (var taken = await installation.PostAsync(admin.AccessToken, "/api/v3/accounts/invitations", new { email = "new@example.com", role = "viewer" }))
        {
            await AccountsInstallation.AssertProblemAsync(taken, HttpStatusCode.Conflict);
        }

        var expiring = await installation.InviteAsync(admin.AccessToken, "late@example.com", PlatformRoles.Viewer);
        await using (var metadata = NpgsqlDataSource.Create(installation.Api.Metadata))
        await using (var expire = metadata.CreateCommand("UPDATE account_links SET expires_at = now() - interval '1 second' WHERE email = 'late@example.com'"))
        {
            await expire.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }
        using var expired = await installation.PostAsync(null, "/api/v3/accounts/invitations/accept", new { token = expiring, password = "the late user's password" });
        await AccountsInstallation.AssertProblemAsync(expired, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task TheLastAdminCanBeNeitherRemovedNorDemoted()
    {
        await using var installation = await AccountsInstallation.StartAsync("acc_last_admin");
        var admin = await installation.SignUpAdminAsync();
        var adminId = (await installation.MeAsync(admin.AccessToken)).GetProperty("user").GetProperty("id").GetGuid();

        using (var demote = await installation.SendAsync(admin.AccessToken, HttpMethod.Patch, $"/api/v3/accounts/users/{adminId}", new { role = "viewer" }))
        {
            await AccountsInstallation.AssertProblemAsync(demote, HttpStatusCode.Conflict);
        }
        using (var remove = await installation.SendAsync(admin.AccessToken, HttpMethod.Delete, $"/api/v3/accounts/users/{adminId}"))
        {
            await AccountsInstallation.AssertProblemAsync(remove, HttpStatusCode.Conflict);
        }
        // With a second admin, the first may step down.
        await installation.AddUserAsync(admin.AccessToken, "second@example.com", PlatformRoles.Admin, "second admin's password");
        using var stepDown = await installation.SendAsync(admin.AccessToken, HttpMethod.Patch, $"/api/v3/accounts/users/{adminId}", new { role = "viewer" });
        Assert.Equal(HttpStatusCode.OK, stepDown.StatusCode);
    }

    [Fact]
    public async Task ARemovedUsersMapsConnectionsAndPublicMapTokensPassToTheAdminWhoRemovedThem()
    {
        await using var installation = await AccountsInstallation.StartAsync("acc_heir");
        var admin = await installation.SignUpAdminAsync();
        var adminId = (await installation.MeAsync(admin.AccessToken)).GetProperty("user").GetProperty("id").GetGuid();
        var leaver = await installation.AddUserAsync(admin.AccessToken, "leaver@example.com", PlatformRoles.Editor, "the leaver's password");
        var leaverId = (await installation.MeAsync(leaver.AccessToken)).GetProperty("user").GetProperty("id").GetGuid();
        // What the leaver made: a public map with its token, a private connection (rows as workspace-api writes them).
        await using (var metadata = NpgsqlDataSource.Create(installation.Api.Metadata))
        await using (var made = metadata.CreateCommand($$"""
            WITH map AS (
                INSERT INTO maps (organization_id, owner_id, title, privacy, datasets, kepler_map_config, public_token)
                SELECT organization_id, id, 'the leaver''s map', 'public', '[]', '{}', 'ciphertext' FROM users WHERE id = '{{leaverId}}'
                RETURNING id, organization_id, owner_id)
            INSERT INTO api_tokens (organization_id, user_id, name, token_hash, map_id)
            SELECT organization_id, owner_id, 'map', 'hash-of-the-map-token', id FROM map;
            INSERT INTO connections (id, organization_id, owner_id, name, provider, host, port, database_name, username, protected_password,
                                     ssl_mode, default_schema, privacy)
            SELECT gen_random_uuid(), organization_id, id, 'leavers_pg', 'postgres', 'h', 5432, 'd', 'u', 'ciphertext', 'prefer', 'public', 'private'
            FROM users WHERE id = '{{leaverId}}';
            """))
        {
            await made.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        using (var remove = await installation.SendAsync(admin.AccessToken, HttpMethod.Delete, $"/api/v3/accounts/users/{leaverId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        }

        await using var after = NpgsqlDataSource.Create(installation.Api.Metadata);
        Assert.Equal(adminId, await MetadataMigrationTests.ScalarAsync<Guid>(after, "SELECT owner_id FROM maps WHERE title = 'the leaver''s map'"));
        Assert.Equal(adminId, await MetadataMigrationTests.ScalarAsync<Guid>(after, "SELECT owner_id FROM connections WHERE name = 'leavers_pg'"));
        // The public map's token stays (now the admin's): the map stays published.
        Assert.Equal(adminId, await MetadataMigrationTests.ScalarAsync<Guid>(after, "SELECT user_id FROM api_tokens WHERE token_hash = 'hash-of-the-map-token'"));
    }

    [Fact]
    public async Task WhenAnAdminOpensSignUpEachSignUpMakesAnOrganizationOfItsOwn()
    {
        await using var installation = await AccountsInstallation.StartAsync("acc_open");
        var admin = await installation.SignUpAdminAsync();
        using (var open = await installation.SendAsync(admin.AccessToken, HttpMethod.Patch, "/api/v3/accounts/settings", new { signUpOpen = true }))
        {
            Assert.Equal(HttpStatusCode.OK, open.StatusCode);
            Assert.True((await open.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("signUpOpen").GetBoolean());
        }

        using var signUp = await installation.PostAsync(null, "/api/v3/accounts/signup",
            new { email = "founder@other.example", password = "the founder's password", organizationName = "Other Co." });
        Assert.Equal(HttpStatusCode.Created, signUp.StatusCode);
        var account = await signUp.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var organization = account.GetProperty("organization");
        Assert.NotEqual(MetadataDatabase.DefaultOrganizationId, organization.GetProperty("id").GetGuid());
        Assert.Matches("^other_co_[0-9a-f]{8}$", organization.GetProperty("slug").GetString());
        Assert.Equal(PlatformRoles.Admin, account.GetProperty("user").GetProperty("role").GetString());

        // Its admin manages its own organization, not the installation.
        var founder = await installation.SignInAsync("founder@other.example", "the founder's password");
        using (var settings = await installation.SendAsync(founder.AccessToken, HttpMethod.Patch, "/api/v3/accounts/settings", new { signUpOpen = false }))
        {
            await AccountsInstallation.AssertProblemAsync(settings, HttpStatusCode.Forbidden);
        }
        var users = await installation.Api.CreateClient(founder.AccessToken).GetFromJsonAsync<JsonElement>("/api/v3/accounts/users", TestContext.Current.CancellationToken);
        Assert.Equal(["founder@other.example"], users.GetProperty("users").EnumerateArray().Select(user => user.GetProperty("email").GetString()));
        var adminId = (await installation.MeAsync(admin.AccessToken)).GetProperty("user").GetProperty("id").GetGuid();
        using (var foreign = await installation.SendAsync(founder.AccessToken, HttpMethod.Delete, $"/api/v3/accounts/users/{adminId}"))
        {
            await AccountsInstallation.AssertProblemAsync(foreign, HttpStatusCode.NotFound);
        }
    }
}
