using System.Net;
using CartoSelfHosted.ServiceDefaults.Http;

namespace CartoSelfHosted.Platform.Tests;

public sealed class ResilienceTests
{
    [Fact]
    public async Task AnIdempotentRequestIsRetriedOnTransientFailures()
    {
        var inner = new ScriptedHandler(HttpStatusCode.ServiceUnavailable, HttpStatusCode.BadGateway, HttpStatusCode.OK);
        using var client = new HttpClient(new ResilienceHandler { InnerHandler = inner });

        using var response = await client.GetAsync("http://service.test/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, inner.Calls);
    }

    [Fact]
    public async Task RetriesStopAfterThreeAndTheLastAnswerIsReturned()
    {
        var inner = new ScriptedHandler(Enumerable.Repeat(HttpStatusCode.ServiceUnavailable, 10).ToArray());
        using var client = new HttpClient(new ResilienceHandler { InnerHandler = inner });

        using var response = await client.GetAsync("http://service.test/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(4, inner.Calls);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PATCH")]
    public async Task ANonIdempotentRequestIsSentOnce(string method)
    {
        var inner = new ScriptedHandler(HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        using var client = new HttpClient(new ResilienceHandler { InnerHandler = inner });

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "http://service.test/"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task AClientErrorIsNotRetried()
    {
        var inner = new ScriptedHandler(HttpStatusCode.NotFound, HttpStatusCode.OK);
        using var client = new HttpClient(new ResilienceHandler { InnerHandler = inner });

        using var response = await client.GetAsync("http://service.test/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(1, inner.Calls);
    }

    /// <summary>Answers each call with the next status of its script.</summary>
    private sealed class ScriptedHandler(params HttpStatusCode[] script) : HttpMessageHandler
    {
        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(script[Calls++]));
    }
}
