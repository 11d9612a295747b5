namespace CartoSelfHosted.CdnInvalidator.Purging;

/// <summary>Purges the HTTP cache (Varnish, http-cache) by surrogate key; only this host may, as its VCL says.</summary>
public sealed class HttpCachePurger(HttpClient client)
{
    public const string ServiceName = "http-cache";

    /// <summary>Drops every cached answer tagged with any of <paramref name="keys"/>; purging again changes nothing.</summary>
    public async Task PurgeAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod("PURGE"), "/");
        request.Headers.TryAddWithoutValidation("xkey-purge", string.Join(' ', keys));
        using var response = await client.SendAsync(request, cancellationToken);
        // A failure throws, so the subscriber retries the event.
        response.EnsureSuccessStatusCode();
    }
}
