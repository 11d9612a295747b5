using System.Net;
using System.Net.Http.Json;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Telemetry;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Accounts;

/// <summary>
/// No password, token or hash reaches a log line or a trace attribute: everything accounts-api logs (at Debug, the
/// framework's and Npgsql's lines included) and every activity the process records is searched for the secrets a
/// whole session of use handled. The one-time links are the exception by design: they are written to the log, in their
/// own line, because that is how they reach their addressee without a mail server.
/// </summary>
public sealed class AccountSecretsTests
{
    [Fact]
    public async Task NoSecretIsInALogLineOrATraceAttribute()
    {
        using var telemetry = new CapturedTelemetry();
        await using var installation = await AccountsInstallation.StartAsync("acc_secrets", new Dictionary<string, string>
        {
            ["Logging:LogLevel:Default"] = "Debug",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
            ["Logging:LogLevel:Npgsql"] = "Debug",
        }, telemetry);
        var secrets = new List<string> { AccountsInstallation.AdminPassword, installation.Api.BootstrapToken };
        var links = new List<string>();

        var admin = await installation.SignUpAdminAsync();
        using (var wrong = await installation.TrySignInAsync(AccountsInstallation.AdminEmail, "a mistyped passphrase"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        secrets.Add("a mistyped passphrase");
        using var refreshed = await installation.PostAsync(null, "/api/v3/accounts/token", new { grant_type = "refresh_token", refresh_token = admin.RefreshToken });
        var next = await AccountsInstallation.ReadSignedInAsync(refreshed);
        secrets.AddRange([admin.AccessToken, admin.RefreshToken, next.AccessToken, next.RefreshToken]);
        await installation.MeAsync(installation.Api.BootstrapToken);

        links.Add(await installation.InviteAsync(next.AccessToken, "editor@example.com", PlatformRoles.Editor));
        using (var accepted = await installation.PostAsync(null, "/api/v3/accounts/invitations/accept", new { token = links[^1], password = "the editor's passphrase" }))
        {
            Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        }
        secrets.Add("the editor's passphrase");

        // A browser's sign-in: its cookie token and CSRF value, used for a read and a write.
        using var browser = installation.Api.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = false });
        using var signIn = await browser.PostAsJsonAsync("/api/v3/accounts/signin", new { email = "editor@example.com", password = "the editor's passphrase" },
            TestContext.Current.CancellationToken);
        var editor = await AccountsInstallation.ReadSignedInAsync(signIn);
        secrets.AddRange([editor.AccessToken, editor.RefreshToken]);
        var cookies = signIn.Headers.GetValues("Set-Cookie").Select(cookie => cookie.Split(';')[0]).ToList();
        secrets.AddRange(cookies.Select(cookie => cookie.Split('=', 2)[1]));
        var csrf = cookies.Single(cookie => cookie.StartsWith(SessionCookies.CsrfCookie, StringComparison.Ordinal)).Split('=', 2)[1];
        var cookieHeader = string.Join("; ", cookies);
        Assert.Equal(HttpStatusCode.OK, (await AccountsInstallation.SendWithCookieAsync(browser, HttpMethod.Get, "/api/v3/accounts/me", cookieHeader, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await AccountsInstallation.SendWithCookieAsync(browser, HttpMethod.Post, "/api/v3/accounts/signout", cookieHeader, null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent,
            (await AccountsInstallation.SendWithCookieAsync(browser, HttpMethod.Post, "/api/v3/accounts/signout", cookieHeader, csrf)).StatusCode);
        // A token after its session ended, and one that never was.
        using (var ended = await installation.Api.CreateClient(editor.AccessToken).GetAsync("/api/v3/accounts/me", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, ended.StatusCode);
        }
        var unknown = ApiTokens.Generate();
        secrets.Add(unknown);
        Assert.Equal(HttpStatusCode.Unauthorized, (await installation.Api.CreateClient(unknown).GetAsync("/api/v3/accounts/me",
            TestContext.Current.CancellationToken)).StatusCode);

        // An API access token, named by its value in the Tokens API's paths, as CARTO's are.
        using (var created = await installation.PostAsync(next.AccessToken, "/api/v3/tokens", new
        {
            grants = new[] { new { connection_name = "carto_dw", source = "*" } }, allowed_apis = new[] { "maps" },
        }))
        {
            var accessToken = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(TestContext.Current.CancellationToken))
                .GetProperty("token").GetString()!;
            secrets.Add(accessToken);
            Assert.Equal(HttpStatusCode.OK, (await installation.SendAsync(next.AccessToken, HttpMethod.Get, $"/api/v3/tokens/{accessToken}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await installation.SendAsync(next.AccessToken, HttpMethod.Patch, $"/api/v3/tokens/{accessToken}",
                new { name = "renamed" })).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await installation.SendAsync(next.AccessToken, HttpMethod.Delete, $"/api/v3/tokens/{accessToken}")).StatusCode);
            Assert.Contains(telemetry.TraceAttributes, attribute => attribute.Contains("/api/v3/tokens/" + TokenRedaction.Redacted, StringComparison.Ordinal));
        }

        // A password reset, its link taken from the log.
        using (await installation.PostAsync(null, "/api/v3/accounts/password-resets", new { email = "editor@example.com" }))
        {
        }
        var resetLine = telemetry.LogLines.Single(line => line.Contains("One-time password_reset link", StringComparison.Ordinal));
        links.Add(AccountsInstallation.LinkToken(resetLine.Split(' ').First(word => word.StartsWith("http://", StringComparison.Ordinal))));
        using (var reset = await installation.PostAsync(null, "/api/v3/accounts/password-resets/complete", new { token = links[^1], password = "the editor's new passphrase" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        }
        secrets.Add("the editor's new passphrase");

        // What the database keeps instead: the password hashes and the tokens' SHA-256, as hex and base64.
        await using (var metadata = NpgsqlDataSource.Create(installation.Api.Metadata))
        await using (var command = metadata.CreateCommand("SELECT password_hash FROM users"))
        await using (var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                secrets.Add(reader.GetString(0));
            }
        }
        foreach (var token in secrets.Where(secret => secret.StartsWith(ApiTokens.Prefix, StringComparison.Ordinal)).Concat(links).ToList())
        {
            secrets.Add(Convert.ToHexString(ApiTokens.Hash(token)));
            secrets.Add(Convert.ToBase64String(ApiTokens.Hash(token)));
        }

        Assert.True(telemetry.LogLines.Count > 50, $"the capture holds the logs ({telemetry.LogLines.Count} lines)");
        Assert.Contains(telemetry.TraceAttributes, attribute => attribute.Contains("/api/v3/accounts/signin", StringComparison.Ordinal));
        Assert.Equal(2, telemetry.LogLines.Count(line => line.Contains("One-time", StringComparison.Ordinal)));
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(telemetry.LogLines, line => line.Contains(secret, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(telemetry.TraceAttributes, attribute => attribute.Contains(secret, StringComparison.OrdinalIgnoreCase));
        }
        foreach (var link in links)
        {
            Assert.DoesNotContain(telemetry.LogLines, line => line.Contains(link, StringComparison.Ordinal) && !line.Contains("One-time", StringComparison.Ordinal));
            Assert.DoesNotContain(telemetry.TraceAttributes, attribute => attribute.Contains(link, StringComparison.Ordinal));
        }
    }
}
