using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.ImportApi.Imports;
using CartoSelfHosted.Integration.Tests.Imports;
using CartoSelfHosted.MapsApi.Apis;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.Integration.Tests.Accounts;

/// <summary>
/// Sign-up, sign-in, invitations and roles across APIs: accounts-api, import-api and maps-api in process on one metadata
/// database and warehouse, as AppHost runs them.
/// </summary>
public sealed class AccountsFlowTests : IAsyncLifetime
{
    private AccountsInstallation _accounts = null!;
    private ApiFactory<ImportJobView> _imports = null!;
    private ApiFactory<SqlJobView> _maps = null!;
    private readonly string _storage = Directory.CreateTempSubdirectory("carto-accounts-imports-").FullName;

    public async ValueTask InitializeAsync()
    {
        _accounts = await AccountsInstallation.StartAsync("acc_flow");
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:metadata"] = _accounts.Api.Metadata,
            ["ConnectionStrings:warehouse"] = await TestServers.CreateDatabaseAsync("acc_flow_dw"),
            ["ConnectionStrings:object-storage"] = _storage,
            ["ConnectionStrings:redis"] = TestServers.Redis,
            ["PUBSUB_EMULATOR_HOST"] = TestServers.PubSubEmulatorHost,
            ["PubSub:ProjectId"] = $"test-{Guid.NewGuid():N}"[..24],
        };
        _imports = await ApiFactory<ImportJobView>.StartAsync("acc_flow_imports", settings);
        _maps = await ApiFactory<SqlJobView>.StartAsync("acc_flow_maps", settings);
    }

    public async ValueTask DisposeAsync()
    {
        await _maps.DisposeAsync();
        await _imports.DisposeAsync();
        await _accounts.DisposeAsync();
        Directory.Delete(_storage, recursive: true);
    }

    [Fact]
    public async Task SignUpSignInInviteAcceptAndRolesHoldOnEveryApi()
    {
        // The first sign-up takes the default organization, whose warehouse schema the development token already uses.
        using (var signUp = await _accounts.PostAsync(null, "/api/v3/accounts/signup",
            new { email = " Admin@Example.com ", password = AccountsInstallation.AdminPassword, name = "Ada", organizationName = "Acme" }))
        {
            Assert.Equal(HttpStatusCode.Created, signUp.StatusCode);
            var account = await signUp.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            Assert.Equal(AccountsInstallation.AdminEmail, account.GetProperty("user").GetProperty("email").GetString());
            Assert.Equal(PlatformRoles.Admin, account.GetProperty("user").GetProperty("role").GetString());
            Assert.Equal(MetadataDatabase.DefaultOrganizationId, account.GetProperty("organization").GetProperty("id").GetGuid());
            Assert.Equal("default", account.GetProperty("organization").GetProperty("slug").GetString());
            Assert.Equal("Acme", account.GetProperty("organization").GetProperty("name").GetString());
        }
        var admin = await _accounts.SignInAsync(AccountsInstallation.AdminEmail, AccountsInstallation.AdminPassword);
        Assert.InRange(admin.ExpiresIn, 890, 900);
        var adminMe = await _accounts.MeAsync(admin.AccessToken);
        Assert.Equal(MetadataDatabase.DefaultOrganizationId, adminMe.GetProperty("organization").GetProperty("id").GetGuid());
        Assert.Equal(PlatformRoles.Admin, adminMe.GetProperty("user").GetProperty("role").GetString());
        // The development token is now the first admin's, and works as before.
        var developmentMe = await _accounts.MeAsync(_accounts.Api.BootstrapToken);
        Assert.Equal(AccountsInstallation.AdminEmail, developmentMe.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal(ApiTokens.DevelopmentTokenName, developmentMe.GetProperty("token").GetProperty("name").GetString());

        // Sign-up is closed now.
        using (var second = await _accounts.PostAsync(null, "/api/v3/accounts/signup", new { email = "late@example.com", password = "another long password" }))
        {
            await AccountsInstallation.AssertProblemAsync(second, HttpStatusCode.Forbidden);
        }

        var viewer = await _accounts.AddUserAsync(admin.AccessToken, "viewer@example.com", PlatformRoles.Viewer, "viewer's long password");
        var editor = await _accounts.AddUserAsync(admin.AccessToken, "editor@example.com", PlatformRoles.Editor, "editor's long password");
        var viewerMe = await _accounts.MeAsync(viewer.AccessToken);
        Assert.Equal(MetadataDatabase.DefaultOrganizationId, viewerMe.GetProperty("organization").GetProperty("id").GetGuid());
        Assert.Equal("default", viewerMe.GetProperty("organization").GetProperty("slug").GetString());
        Assert.Equal([PlatformRoles.Viewer], viewerMe.GetProperty("token").GetProperty("scopes").EnumerateArray().Select(scope => scope.GetString()));

        // A viewer reads but neither imports nor runs jobs; an editor does both.
        using (var read = await _maps.CreateClient(viewer.AccessToken).GetAsync("/api/v3/sql/carto_dw/query?q=SELECT%201%20AS%20one",
            TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        using (var viewerImport = await ImportAsync(viewer.AccessToken))
        {
            var problem = await AccountsInstallation.AssertProblemAsync(viewerImport, HttpStatusCode.Forbidden);
            Assert.Contains("viewer", problem.GetProperty("detail").GetString());
        }
        using (var viewerJob = await JobAsync(viewer.AccessToken))
        {
            await AccountsInstallation.AssertProblemAsync(viewerJob, HttpStatusCode.Forbidden);
        }
        using (var editorImport = await ImportAsync(editor.AccessToken))
        {
            Assert.True(editorImport.StatusCode == HttpStatusCode.Created, await editorImport.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        using (var editorJob = await JobAsync(editor.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Created, editorJob.StatusCode);
        }
        // Only an admin manages users.
        using (var viewerInvites = await _accounts.PostAsync(viewer.AccessToken, "/api/v3/accounts/invitations", new { email = "x@example.com", role = "admin" }))
        {
            await AccountsInstallation.AssertProblemAsync(viewerInvites, HttpStatusCode.Forbidden);
        }
        using (var editorLists = await _accounts.SendAsync(editor.AccessToken, HttpMethod.Get, "/api/v3/accounts/users"))
        {
            await AccountsInstallation.AssertProblemAsync(editorLists, HttpStatusCode.Forbidden);
        }

        // A promotion holds at the viewer's next requests, with the token it has.
        var users = await _accounts.Api.CreateClient(admin.AccessToken).GetFromJsonAsync<JsonElement>("/api/v3/accounts/users", TestContext.Current.CancellationToken);
        Assert.Equal([AccountsInstallation.AdminEmail, "viewer@example.com", "editor@example.com"],
            users.GetProperty("users").EnumerateArray().Select(user => user.GetProperty("email").GetString()));
        var viewerId = users.GetProperty("users").EnumerateArray().Single(user => user.GetProperty("email").GetString() == "viewer@example.com")
            .GetProperty("id").GetGuid();
        using (var promote = await _accounts.SendAsync(admin.AccessToken, HttpMethod.Patch, $"/api/v3/accounts/users/{viewerId}", new { role = "editor" }))
        {
            Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
        }
        await TestSupport.Eventually.WaitUntilAsync(async () =>
        {
            using var job = await JobAsync(viewer.AccessToken);
            return job.StatusCode == HttpStatusCode.Created;
        }, TimeSpan.FromSeconds(1), "the promoted user's job to be accepted", TestContext.Current.CancellationToken);

        // Removed, the user's session and tokens stop working on every API within a second.
        using (var remove = await _accounts.SendAsync(admin.AccessToken, HttpMethod.Delete, $"/api/v3/accounts/users/{viewerId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        }
        await Revocation.RefusedWithinASecondAsync(() =>
            _maps.CreateClient(viewer.AccessToken).GetAsync("/api/v3/sql/carto_dw/query?q=SELECT%201", TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        await Revocation.RefusedWithinASecondAsync(() =>
            _accounts.Api.CreateClient(viewer.AccessToken).GetAsync("/api/v3/accounts/me", TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        using (var refresh = await _accounts.PostAsync(null, "/api/v3/accounts/token", new { grant_type = "refresh_token", refresh_token = viewer.RefreshToken }))
        {
            await AccountsInstallation.AssertProblemAsync(refresh, HttpStatusCode.BadRequest);
        }
        using (var signIn = await _accounts.TrySignInAsync("viewer@example.com", "viewer's long password"))
        {
            await AccountsInstallation.AssertProblemAsync(signIn, HttpStatusCode.Unauthorized);
        }
        // The development token and the others' sessions are untouched.
        Assert.Equal(HttpStatusCode.OK, (await _maps.CreateClient(_accounts.Api.BootstrapToken)
            .GetAsync("/api/v3/sql/carto_dw/query?q=SELECT%201", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _maps.CreateClient(editor.AccessToken)
            .GetAsync("/api/v3/sql/carto_dw/query?q=SELECT%201", TestContext.Current.CancellationToken)).StatusCode);
    }

    private async Task<HttpResponseMessage> ImportAsync(string token)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(TestFiles.PlacesCsv(3)));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", "places.csv");
        return await _imports.CreateClient(token).PostAsync("/api/v3/imports", form, TestContext.Current.CancellationToken);
    }

    private async Task<HttpResponseMessage> JobAsync(string token) =>
        await _maps.CreateClient(token).PostAsJsonAsync("/api/v3/sql/carto_dw/job",
            new { query = $"CREATE TABLE t_{Guid.NewGuid():N} AS SELECT 1 AS one" }, TestContext.Current.CancellationToken);
}
