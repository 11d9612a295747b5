using System.Diagnostics;
using System.Net;

namespace CartoSelfHosted.TestSupport;

/// <summary>For credentials that were revoked, expired or removed: every API must refuse them within a second.</summary>
public static class Revocation
{
    /// <summary>
    /// Repeats <paramref name="request"/> until it is a 401 problem, and says how long that took; throws when it is still
    /// answered otherwise after a second.
    /// </summary>
    public static async Task<TimeSpan> RefusedWithinASecondAsync(Func<Task<HttpResponseMessage>> request, CancellationToken cancellationToken = default)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            using var response = await request();
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                return response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                    ? waited.Elapsed
                    : throw new InvalidOperationException($"the 401 is {response.Content.Headers.ContentType}, not problem details");
            }
            if (waited.Elapsed >= TimeSpan.FromSeconds(1))
            {
                throw new TimeoutException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} was still " +
                    $"{(int)response.StatusCode} after {waited.ElapsedMilliseconds} ms");
            }
            await Task.Delay(50, cancellationToken);
        }
    }
}
