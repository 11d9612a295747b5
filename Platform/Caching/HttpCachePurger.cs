using Microsoft.Extensions.Options;

namespace CartoSelfHosted.Platform.Caching;

public sealed class HttpCachePurgerOptions
{
    /// <summary>Whether the service has the HTTP cache's address: a service run on its own has no cache to purge.</summary>
    public bool Enabled { get; set; }
}

/// <summary>
/// Purges the HTTP cache (Varnish, http-cache) by surrogate key. Its VCL lets only the platform's own hosts purge, never
/// a request the router forwards.
/// </summary>
public sealed class HttpCachePurger(HttpClient client, IOptions<HttpCachePurgerOptions> options)
{
    public const string ServiceName = "http-cache";

    /// <summary>Drops every cached answer tagged with any of <paramref name="keys"/>; purging again changes nothing.</summary>
    public async Task PurgeAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }
        using var request = new HttpRequestMessage(new HttpMethod("PURGE"), "/");
        request.Headers.TryAddWithoutValidation("xkey-purge", string.Join(' ', keys));
        using var response = await client.SendAsync(request, cancellationToken);
        // A failure throws, so the subscriber retries the event.
        response.EnsureSuccessStatusCode();
    }
}
