using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.TestSupport;
using Npgsql;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>
/// Accounts as people use them, through the router against the whole platform: sign-up, invitations and roles; two
/// organizations that reach nothing of each other; an API access token's referers and expiry; a removed user's
/// credentials; and the lockout and rate limit of sign-in.
/// </summary>
public sealed class AccountsTests(RunningPlatform running) : IClassFixture<RunningPlatform>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private const string FirstAdmin = "ada@a.example.com";
    private const string FirstAdminPassword = "ada's long passphrase";
    private const string InvitedPassword = "an invited long passphrase";

    private PlatformInProcess Platform => running.Platform;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PeopleSignUpInviteAndWorkInTheirOwnOrganizationOnly()
    {
        await Platform.WaitHealthyAsync(Patience);
        // The installation's first sign-up: the admin of the default organization, whose schema the development token uses.
        await SignUpFirstAdminAsync();
        var ada = await SignInAsync(FirstAdmin, FirstAdminPassword);
        var viewer = await InviteAndAcceptAsync(ada, "vic@a.example.com", "viewer");
        var editor = await InviteAndAcceptAsync(ada, "eve@a.example.com", "editor");

        // A viewer reads but runs no batch job; an editor does.
        await SendAsync(HttpStatusCode.OK, viewer, HttpMethod.Get, "/api/v3/sql/carto_dw/query?q=SELECT%201");
        await SendAsync(HttpStatusCode.Forbidden, viewer, HttpMethod.Post, "/api/v3/sql/carto_dw/job", new { query = "SELECT 1" });
        var job = (await SendAsync(HttpStatusCode.Created, editor, HttpMethod.Post, "/api/v3/sql/carto_dw/job", new { query = "SELECT 1" }))
            .GetProperty("id").GetString();

        // A second organization: sign-up opened by the installation's admin, then someone else's own.
        await SendAsync(HttpStatusCode.OK, ada, HttpMethod.Patch, "/api/v3/accounts/settings", new { signUpOpen = true });
        await SendAsync(HttpStatusCode.Created, null, HttpMethod.Post, "/api/v3/accounts/signup",
            new { email = "bob@b.example.com", password = "bob's long passphrase", organizationName = "Bobs" });
        var bob = await SignInAsync("bob@b.example.com", "bob's long passphrase");
        var bobsToken = (await SendAsync(HttpStatusCode.Created, bob, HttpMethod.Post, "/api/v3/tokens",
            new { grants = new[] { new { connection_name = "carto_dw", source = "*" } }, allowed_apis = new[] { "maps", "sql" } }))
            .GetProperty("token").GetString()!;

        // What A has, and what neither B's user nor B's token reaches of it.
        var table = "a_" + Guid.NewGuid().ToString("N")[..8];
        await Platform.WarehouseAsync($"""
            CREATE TABLE org_default.{table} (name text, geom geometry(Point, 4326));
            ALTER TABLE org_default.{table} OWNER TO org_default;
            INSERT INTO org_default.{table} VALUES ('A only', 'SRID=4326;POINT(1 1)');
            """);
        var source = await SendAsync(HttpStatusCode.OK, ada, HttpMethod.Get, $"/api/v3/maps/carto_dw/table?name={table}");
        var tileJsonUrl = new Uri(source.GetProperty("tilejson").GetProperty("url")[0].GetString()!).PathAndQuery;
        var adasToken = (await SendAsync(HttpStatusCode.Created, ada, HttpMethod.Post, "/api/v3/tokens",
            new { grants = new[] { new { connection_name = "carto_dw", source = table } }, allowed_apis = new[] { "maps" } }))
            .GetProperty("id").GetString();
        var users = await SendAsync(HttpStatusCode.OK, ada, HttpMethod.Get, "/api/v3/accounts/users");
        var eve = users.GetProperty("users").EnumerateArray().Single(user => user.GetProperty("email").GetString() == "eve@a.example.com")
            .GetProperty("id").GetString();
        foreach (var token in new[] { bob, bobsToken })
        {
            await SendAsync(HttpStatusCode.NotFound, token, HttpMethod.Get, tileJsonUrl);
            await SendAsync(HttpStatusCode.NotFound, token, HttpMethod.Get, $"/api/v3/maps/carto_dw/table?name=org_default.{table}");
            await SendAsync(HttpStatusCode.Forbidden, token, HttpMethod.Get,
                "/api/v3/sql/carto_dw/query?q=" + Uri.EscapeDataString($"SELECT * FROM org_default.{table}"));
        }
        await SendAsync(HttpStatusCode.NotFound, bob, HttpMethod.Get, $"/api/v3/sql/carto_dw/job/{job}");
        await SendAsync(HttpStatusCode.NotFound, bob, HttpMethod.Get, $"/api/v3/tokens/{adasToken}");
        await SendAsync(HttpStatusCode.NotFound, bob, HttpMethod.Patch, $"/api/v3/accounts/users/{eve}", new { role = "viewer" });
        Assert.DoesNotContain("a.example.com", (await SendAsync(HttpStatusCode.OK, bob, HttpMethod.Get, "/api/v3/accounts/users")).GetRawText());

        // Removed, a user's sign-in stops on every API within a second.
        await SendAsync(HttpStatusCode.NoContent, ada, HttpMethod.Delete, $"/api/v3/accounts/users/{eve}");
        await Revocation.RefusedWithinASecondAsync(() => RequestAsync(editor, HttpMethod.Get, "/api/v3/sql/carto_dw/query?q=SELECT%202"), Cancel);
        await Revocation.RefusedWithinASecondAsync(() => RequestAsync(editor, HttpMethod.Get, "/api/v3/accounts/me"), Cancel);
    }

    [Fact]
    public async Task AnApiAccessTokenServesOnlyItsReferersAndNotAfterItExpires()
    {
        await Platform.WaitHealthyAsync(Patience);
        var table = "r_" + Guid.NewGuid().ToString("N")[..8];
        await Platform.WarehouseAsync($"""
            CREATE TABLE org_default.{table} (name text, geom geometry(Point, 4326));
            ALTER TABLE org_default.{table} OWNER TO org_default;
            """);
        // The development token makes it once the first admin signed up (either test may have done that first).
        await SignUpFirstAdminAsync();
        var created = await SendAsync(HttpStatusCode.Created, Platform.DevToken, HttpMethod.Post, "/api/v3/tokens", new
        {
            grants = new[] { new { connection_name = "carto_dw", source = table } }, allowed_apis = new[] { "maps" },
            referers = new[] { "https://maps.example.com" },
        });
        var token = created.GetProperty("token").GetString()!;
        var path = $"/api/v3/maps/carto_dw/table?name={table}";

        using (var fromTheApp = await RequestAsync(token, HttpMethod.Get, path, origin: "https://maps.example.com"))
        {
            Assert.Equal(HttpStatusCode.OK, fromTheApp.StatusCode);
        }
        using (var elsewhere = await RequestAsync(token, HttpMethod.Get, path, origin: "https://elsewhere.example.net"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
            Assert.Equal("Unauthorized referer", (await elsewhere.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error").GetString());
        }

        // Its expiration comes (set in the database: a token cannot be made already expired).
        await using (var metadata = NpgsqlDataSource.Create(Platform.ConnectionString("metadata")))
        await using (var expire = metadata.CreateCommand("UPDATE api_tokens SET expires_at = now() WHERE id = $1"))
        {
            expire.Parameters.Add(new NpgsqlParameter { Value = created.GetProperty("id").GetGuid() });
            Assert.Equal(1, await expire.ExecuteNonQueryAsync(Cancel));
        }
        await Revocation.RefusedWithinASecondAsync(() => RequestAsync(token, HttpMethod.Get, path, origin: "https://maps.example.com"), Cancel);
    }

    [Fact]
    public async Task WrongPasswordsLockTheAccountAndTooManySignInsAreRateLimited()
    {
        await Platform.WaitHealthyAsync(Patience);
        await SignUpFirstAdminAsync();
        var admin = await SignInAsync(FirstAdmin, FirstAdminPassword);
        await InviteAndAcceptAsync(admin, "locked@a.example.com", "viewer");

        // The address has had one sign-in (after accepting); 19 more with wrong passwords.
        var statuses = new List<HttpStatusCode>();
        for (var attempt = 1; attempt <= 19; attempt++)
        {
            using var wrong = await RequestAsync(null, HttpMethod.Post, "/api/v3/accounts/signin",
                body: new { email = "locked@a.example.com", password = $"wrong password {attempt}" });
            statuses.Add(wrong.StatusCode);
        }
        // 10 wrong passwords, then locked (403 with Retry-After) until the address's 20 attempts run out: 429.
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 10), statuses.Take(10));
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Forbidden, 9), statuses.Skip(10));
        using var limited = await RequestAsync(null, HttpMethod.Post, "/api/v3/accounts/signin",
            body: new { email = "locked@a.example.com", password = InvitedPassword });
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter is not null);
    }

    /// <summary>The installation's first sign-up, unless a test of this class made it already.</summary>
    private async Task SignUpFirstAdminAsync()
    {
        using var signUp = await RequestAsync(null, HttpMethod.Post, "/api/v3/accounts/signup", body: new { email = FirstAdmin, password = FirstAdminPassword });
        // Made already: closed (403), or opened for other organizations, where the address is taken (409).
        Assert.True(signUp.StatusCode is HttpStatusCode.Created or HttpStatusCode.Forbidden or HttpStatusCode.Conflict,
            await signUp.Content.ReadAsStringAsync(Cancel));
    }

    private async Task<string> SignInAsync(string email, string password) =>
        (await SendAsync(HttpStatusCode.OK, null, HttpMethod.Post, "/api/v3/accounts/signin", new { email, password }))
            .GetProperty("access_token").GetString()!;

    /// <summary>Invites the address with the role, accepts with the link the admin got, and signs the new user in.</summary>
    private async Task<string> InviteAndAcceptAsync(string admin, string email, string role)
    {
        var invitation = await SendAsync(HttpStatusCode.Created, admin, HttpMethod.Post, "/api/v3/accounts/invitations", new { email, role });
        var link = new Uri(invitation.GetProperty("link").GetString()!);
        // The link names the platform's own origin, the router's.
        Assert.Equal(Platform.Router.Authority, link.Authority);
        var token = System.Web.HttpUtility.ParseQueryString(link.Query)["token"];
        await SendAsync(HttpStatusCode.Created, null, HttpMethod.Post, "/api/v3/accounts/invitations/accept", new { token, password = InvitedPassword });
        return await SignInAsync(email, InvitedPassword);
    }

    /// <summary>A request through the router that must answer <paramref name="status"/>; its JSON body, if any.</summary>
    private async Task<JsonElement> SendAsync(HttpStatusCode status, string? token, HttpMethod method, string path, object? body = null)
    {
        using var response = await RequestAsync(token, method, path, body);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == status, $"{method} {path}: {(int)response.StatusCode} {text}");
        if (status >= HttpStatusCode.BadRequest)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        return text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text);
    }

    private async Task<HttpResponseMessage> RequestAsync(string? token, HttpMethod method, string path, object? body = null, string? origin = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(Platform.Router, path)) { Content = body is null ? null : JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        return await Platform.Http.SendAsync(request, Cancel);
    }

}
