using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Web;
using CartoSelfHosted.AccountsApi.Apis;
using CartoSelfHosted.Platform.Security;

namespace CartoSelfHosted.Integration.Tests.Accounts;

/// <summary>A user's sign-in, as a client keeps it.</summary>
public sealed record SignedIn(string AccessToken, string RefreshToken, int ExpiresIn);

/// <summary>
/// A fresh installation: accounts-api in process on a metadata database of its own, nobody signed up yet, the
/// development token stored. What a test does with accounts, in the calls a client makes.
/// </summary>
public sealed class AccountsInstallation : IAsyncDisposable
{
    public const string AdminEmail = "admin@example.com";
    public const string AdminPassword = "correct horse battery staple";

    private AccountsInstallation(ApiFactory<CurrentAccount> api) => Api = api;

    public ApiFactory<CurrentAccount> Api { get; }

    public static async Task<AccountsInstallation> StartAsync(string purpose, IReadOnlyDictionary<string, string>? settings = null,
        CapturedTelemetry? telemetry = null) =>
        new(await ApiFactory<CurrentAccount>.StartAsync(purpose, settings, telemetry));

    /// <summary>Signs up the installation's first user, its admin, and signs in.</summary>
    public async Task<SignedIn> SignUpAdminAsync()
    {
        using var signUp = await PostAsync(null, "/api/v3/accounts/signup", new { email = AdminEmail, password = AdminPassword, organizationName = "Acme" });
        Assert.Equal(HttpStatusCode.Created, signUp.StatusCode);
        return await SignInAsync(AdminEmail, AdminPassword);
    }

    public async Task<HttpResponseMessage> PostAsync(string? token, string path, object? body)
    {
        using var client = token is null ? Api.CreateClient() : Api.CreateClient(token);
        return await client.PostAsJsonAsync(path, body, TestContext.Current.CancellationToken);
    }

    public async Task<HttpResponseMessage> SendAsync(string? token, HttpMethod method, string path, object? body = null)
    {
        using var client = token is null ? Api.CreateClient() : Api.CreateClient(token);
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async Task<HttpResponseMessage> TrySignInAsync(string email, string password) =>
        await PostAsync(null, "/api/v3/accounts/signin", new { email, password });

    public async Task<SignedIn> SignInAsync(string email, string password)
    {
        using var response = await TrySignInAsync(email, password);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return await ReadSignedInAsync(response);
    }

    public static async Task<SignedIn> ReadSignedInAsync(HttpResponseMessage response)
    {
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("Bearer", answer.GetProperty("token_type").GetString());
        return new SignedIn(answer.GetProperty("access_token").GetString()!, answer.GetProperty("refresh_token").GetString()!,
            answer.GetProperty("expires_in").GetInt32());
    }

    /// <summary>Invites the address with the role; returns the answer's link's token.</summary>
    public async Task<string> InviteAsync(string adminToken, string email, string role)
    {
        using var response = await PostAsync(adminToken, "/api/v3/accounts/invitations", new { email, role });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var invitation = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return LinkToken(invitation.GetProperty("link").GetString()!);
    }

    /// <summary>Invites the address, accepts the invitation with the password, and signs in.</summary>
    public async Task<SignedIn> AddUserAsync(string adminToken, string email, string role, string password)
    {
        var token = await InviteAsync(adminToken, email, role);
        using var accepted = await PostAsync(null, "/api/v3/accounts/invitations/accept", new { token, password });
        Assert.True(accepted.StatusCode == HttpStatusCode.Created, await accepted.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return await SignInAsync(email, password);
    }

    public async Task<JsonElement> MeAsync(string token)
    {
        using var client = Api.CreateClient(token);
        return await client.GetFromJsonAsync<JsonElement>("/api/v3/accounts/me", TestContext.Current.CancellationToken);
    }

    public static string LinkToken(string link) => HttpUtility.ParseQueryString(new Uri(link).Query)["token"]!;

    /// <summary>Asserts the answer is a problem (RFC 9457) with the status, and returns it.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<JsonElement>(body);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.StartsWith("https://carto-self-hosted.dev/problems/", problem.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }

    /// <summary>A browser's request: the cookies it holds and, when given, the CSRF header its page adds.</summary>
    public static async Task<HttpResponseMessage> SendWithCookieAsync(HttpClient browser, HttpMethod method, string path, string cookies, string? csrf)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", cookies);
        if (csrf is not null)
        {
            request.Headers.Add(SessionCookies.CsrfHeader, csrf);
        }
        return await browser.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync() => Api.DisposeAsync();
}
