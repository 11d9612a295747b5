using System.Net.Http.Headers;
using Google.Apis.Auth.OAuth2;

namespace CartoSelfHosted.Platform.Messaging.PubSub;

/// <summary>
/// The client for where the broker is. Its HttpClient is its own, outside the platform's retrying defaults: a pull is
/// held open for up to 90 s, and the outbox and the subscriber decide themselves when a call is tried again.
/// </summary>
public static class PubSubClientFactory
{
    public const string PubSubScope = "https://www.googleapis.com/auth/pubsub";

    public static PubSubClient Create(PubSubOptions options)
    {
        var transport = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        HttpMessageHandler handler = options.EmulatorHost is { Length: > 0 }
            // The emulator takes no credentials.
            ? transport
            : new BearerTokenHandler(new ApplicationDefaultCredential()) { InnerHandler = transport };
        return new PubSubClient(new HttpClient(handler) { BaseAddress = options.BaseAddress, Timeout = Timeout.InfiniteTimeSpan },
            options.ProjectId);
    }

    /// <summary>Google's application-default credentials (a key file, gcloud's login, or the metadata server), found on first use.</summary>
    private sealed class ApplicationDefaultCredential : ITokenAccess
    {
        private readonly Lazy<Task<ITokenAccess>> _credential = new(async () =>
            (await GoogleCredential.GetApplicationDefaultAsync()).CreateScoped(PubSubScope));

        public async Task<string> GetAccessTokenForRequestAsync(string? authUri = null, CancellationToken cancellationToken = default) =>
            await (await _credential.Value).GetAccessTokenForRequestAsync(authUri, cancellationToken);
    }
}

/// <summary>Adds <c>Authorization: Bearer</c> with a token from Google's credential to every request.</summary>
public sealed class BearerTokenHandler(ITokenAccess credential) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await credential.GetAccessTokenForRequestAsync(request.RequestUri?.GetLeftPart(UriPartial.Authority), cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }
}
