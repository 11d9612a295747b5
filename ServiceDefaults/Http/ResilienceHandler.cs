using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace CartoSelfHosted.ServiceDefaults.Http;

/// <summary>
/// The standard resilience of Aspire's service defaults, on Polly directly (Microsoft.Extensions.Http.Resilience
/// is not restorable here): a total timeout, retries with jittered backoff for idempotent requests on transient
/// failures, and a per-attempt timeout.
/// </summary>
public sealed class ResilienceHandler : DelegatingHandler
{
    private static readonly HashSet<HttpMethod> IdempotentMethods =
        [HttpMethod.Get, HttpMethod.Head, HttpMethod.Options, HttpMethod.Put, HttpMethod.Delete];

    private static readonly ResiliencePipeline<HttpResponseMessage> Pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
        .AddTimeout(TimeSpan.FromSeconds(30))
        .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = 3,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
            // The response that is retried is never seen by the caller, so its connection must be released here.
            OnRetry = args =>
            {
                args.Outcome.Result?.Dispose();
                return ValueTask.CompletedTask;
            },
        })
        .AddTimeout(TimeSpan.FromSeconds(10))
        .Build();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // A request body may be a one-shot stream, and a non-idempotent request must not be sent twice.
        if (!IdempotentMethods.Contains(request.Method) || request.Content is not null)
        {
            return await base.SendAsync(request, cancellationToken);
        }
        return await Pipeline.ExecuteAsync(
            static async (state, token) => await state.Handler.SendBaseAsync(state.Request, token),
            (Handler: this, Request: request),
            cancellationToken);
    }

    private Task<HttpResponseMessage> SendBaseAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } response } => response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
            || (int)response.StatusCode >= 500,
        _ => false,
    };
}
