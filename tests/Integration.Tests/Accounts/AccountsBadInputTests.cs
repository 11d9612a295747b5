using System.Net;
using System.Text;
using CartoSelfHosted.Platform.Security;
using Microsoft.Extensions.DependencyInjection;

namespace CartoSelfHosted.Integration.Tests.Accounts;

/// <summary>Bad input to every accounts endpoint is a 4xx problem (RFC 9457) that says what is wrong, never a 500.</summary>
public sealed class AccountsBadInputTests : IAsyncLifetime
{
    private const string UnknownUser = "/api/v3/accounts/users/00000000-0000-0000-0000-0000000000ff";

    private AccountsInstallation _installation = null!;
    private string _adminToken = null!;

    public async ValueTask InitializeAsync()
    {
        _installation = await AccountsInstallation.StartAsync("acc_bad_input", new Dictionary<string, string>
        {
            // Many requests from one client address, in one test class.
            ["Accounts:RequestsPerIp"] = "1000",
        });
        _adminToken = (await _installation.SignUpAdminAsync()).AccessToken;
    }

    public async ValueTask DisposeAsync() => await _installation.DisposeAsync();

    public static TheoryData<string, string, string?, HttpStatusCode> BadRequests => new()
    {
        { "POST", "/api/v3/accounts/signup", null, HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/signup", "{not json", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/signup", """{"email": "not an address", "password": "a long enough password"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/signup", """{"email": "a@example.com", "password": "short"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/signup", """{"email": "a@example.com", "password": "aaaaaaaaaaaaaaaa"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/signup", $$"""{"email": "a@example.com", "password": "{{new string('x', 100)}}abcdefghijklmnopqrstuvwxyz0123"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/signup", $$"""{"email": "a@example.com", "password": "a long enough password", "name": "{{new string('n', 201)}}"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/signup", $$"""{"email": "{{AccountsInstallation.AdminEmail}}", "password": "a long enough password"}""", HttpStatusCode.Forbidden },
        { "POST", "/api/v3/accounts/signin", null, HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/signin", """{"email": "a@example.com"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/signin", """{"email": 12, "password": "x"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/token", null, HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/token", """{"grant_type": "password"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/token", """{"grant_type": "refresh_token"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/token", """{"grant_type": "refresh_token", "refresh_token": "cst_unknown"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/invitations", null, HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/invitations", """{"email": "nope", "role": "viewer"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/invitations", """{"email": "b@example.com", "role": "owner"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/invitations", """{"email": "b@example.com"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/invitations/accept", null, HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/invitations/accept", """{"token": "cst_unknown", "password": "a long enough password"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/invitations/accept", $$"""{"token": "{{new string('t', 300)}}", "password": "a long enough password"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/invitations/accept", """{"token": "cst_unknown", "password": "short"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/password-resets", null, HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/password-resets", """{"email": ""}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/password-resets/complete", null, HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/password-resets/complete", """{"token": "cst_unknown", "password": "a long enough password"}""", HttpStatusCode.BadRequest },
        { "POST", "/api/v3/accounts/password-resets/complete", """{"password": "a long enough password"}""", HttpStatusCode.BadRequest },
        { "PATCH", UnknownUser, null, HttpStatusCode.BadRequest },
        { "PATCH", UnknownUser, """{"role": "superuser"}""", HttpStatusCode.BadRequest },
        { "PATCH", UnknownUser, """{"role": "editor"}""", HttpStatusCode.NotFound },
        { "DELETE", UnknownUser, null, HttpStatusCode.NotFound },
        { "PATCH", "/api/v3/accounts/settings", null, HttpStatusCode.BadRequest },
        { "PATCH", "/api/v3/accounts/settings", "{}", HttpStatusCode.BadRequest },
        { "PATCH", "/api/v3/accounts/settings", """{"signUpOpen": "yes"}""", HttpStatusCode.BadRequest },
        // The development token is an API token: there is no session to end, nor a user to sign out everywhere before
        // the first sign-up (after it, it is the admin's: see SignInTests).
        { "POST", "/api/v3/accounts/signout", null, HttpStatusCode.BadRequest },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInputIsAClientProblem(string method, string path, string? body, HttpStatusCode status)
    {
        using var client = _installation.Api.CreateClient(_adminToken);
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (path.EndsWith("/signout", StringComparison.Ordinal))
        {
            request.Headers.Authorization = new("Bearer", _installation.Api.BootstrapToken);
        }
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        var problem = await AccountsInstallation.AssertProblemAsync(response, status);
        // No problem quotes a password or a token it was sent.
        Assert.DoesNotContain("long enough password", problem.ToString());
        Assert.DoesNotContain("cst_", problem.ToString());
    }

    [Fact]
    public async Task SignOutEverywhereWithAnOrganizationsApiTokenIsABadRequest()
    {
        var apiToken = ApiTokens.Generate();
        await _installation.Api.Services.GetRequiredService<ApiTokenStore>().StoreAsync(apiToken, Platform.Metadata.MetadataDatabase.DefaultOrganizationId,
            "ci", [PlatformRoles.Admin], TestContext.Current.CancellationToken);

        using var response = await _installation.PostAsync(apiToken, "/api/v3/accounts/signout-everywhere", null);

        await AccountsInstallation.AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }
}
