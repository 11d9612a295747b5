using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using CartoSelfHosted.AccountsApi.Apis;
using CartoSelfHosted.Integration.Tests.Router;
using CartoSelfHosted.Platform.Security;

namespace CartoSelfHosted.Integration.Tests.Accounts;

/// <summary>
/// accounts-api on a loopback port behind router-http, as AppHost runs them: what accounts-api knows of the client comes
/// from the router's X-Forwarded-* headers — the address its rate limit counts, the origin of its links.
/// </summary>
public sealed class AccountsThroughRouterTests : IAsyncLifetime
{
    private ApiFactory<CurrentAccount> _accounts = null!;
    private RouterFactory _router = null!;
    private Uri _routerAddress = null!;

    public async ValueTask InitializeAsync()
    {
        _accounts = await ApiFactory<CurrentAccount>.StartAsync("acc_router", new Dictionary<string, string> { ["Accounts:RequestsPerIp"] = "4" },
            onLoopbackPort: true);
        _router = new RouterFactory(_accounts.Address.GetLeftPart(UriPartial.Authority), _accounts.Metadata);
        _routerAddress = _router.Start();
    }

    public async ValueTask DisposeAsync()
    {
        await _router.DisposeAsync();
        await _accounts.DisposeAsync();
    }

    [Fact]
    public async Task SignUpSignInAndInviteThroughTheRouterWithItsOriginInTheLink()
    {
        using var client = ClientFrom("127.0.0.1");
        using (var signUp = await client.PostAsJsonAsync("/api/v3/accounts/signup",
            new { email = AccountsInstallation.AdminEmail, password = AccountsInstallation.AdminPassword }, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Created, signUp.StatusCode);
        }
        using var signIn = await client.PostAsJsonAsync("/api/v3/accounts/signin",
            new { email = AccountsInstallation.AdminEmail, password = AccountsInstallation.AdminPassword }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        // Plain HTTP to the router: the cookie is not Secure, or the browser would never send it back.
        var session = Assert.Single(signIn.Headers.GetValues("Set-Cookie"), cookie => cookie.StartsWith(SessionCookies.SessionCookie, StringComparison.Ordinal));
        Assert.DoesNotContain("secure", session, StringComparison.OrdinalIgnoreCase);
        var admin = await AccountsInstallation.ReadSignedInAsync(signIn);

        using var invite = new HttpRequestMessage(HttpMethod.Post, "/api/v3/accounts/invitations")
        {
            Content = JsonContent.Create(new { email = "colleague@example.com", role = "editor" }),
        };
        invite.Headers.Authorization = new("Bearer", admin.AccessToken);
        using var invited = await client.SendAsync(invite, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, invited.StatusCode);
        var link = (await invited.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("link").GetString()!;
        Assert.StartsWith($"{_routerAddress.GetLeftPart(UriPartial.Authority)}/acc/invitation?token=", link);
    }

    [Fact]
    public async Task TheRateLimitCountsTheClientsAddressNotTheRoutersAndCannotBeDodgedWithAForgedHeader()
    {
        using var first = ClientFrom("127.0.0.1");
        for (var attempt = 0; attempt < 4; attempt++)
        {
            using var wrong = await SignInAsync(first, $"user{attempt}@example.com", forwardedFor: null);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using (var limited = await SignInAsync(first, "user9@example.com", forwardedFor: null))
        {
            await AccountsInstallation.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
            Assert.NotNull(limited.Headers.RetryAfter);
        }
        using (var forged = await SignInAsync(first, "user9@example.com", forwardedFor: "203.0.113.7"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, forged.StatusCode);
        }

        // Another client, through the same router, has its own count.
        using var second = ClientFrom("127.0.0.2");
        using var other = await SignInAsync(second, "user9@example.com", forwardedFor: null);
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v3/accounts/signin")
        {
            Content = JsonContent.Create(new { email, password = "some long password" }),
        };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>A client whose connections to the router come from <paramref name="localAddress"/> (any of 127.0.0.0/8 is loopback).</summary>
    private HttpClient ClientFrom(string localAddress) => new(new SocketsHttpHandler
    {
        UseCookies = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    }) { BaseAddress = _routerAddress };
}
