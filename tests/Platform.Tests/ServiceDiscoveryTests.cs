using System.Net;
using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.ServiceDefaults.Http;
using Microsoft.Extensions.Configuration;

namespace CartoSelfHosted.Platform.Tests;

public sealed class ServiceDiscoveryTests
{
    private static readonly ServiceEndpoints Endpoints = new(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["services:maps-api:http:0"] = "http://127.0.0.1:15103",
        ["services:lds-api:http:0"] = "http://127.0.0.1:15105",
        ["services:broken:http:0"] = "not a url",
    }).Build());

    [Fact]
    public void ServicesResolveFromAspireKeys()
    {
        Assert.Equal(new Uri("http://127.0.0.1:15103"), Endpoints.Resolve("maps-api"));
        Assert.Null(Endpoints.Resolve("unknown"));
        Assert.Equal(["lds-api", "maps-api"], Endpoints.All.Keys.Order());
    }

    [Fact]
    public async Task ARequestToAServiceNameGoesToItsAddress()
    {
        var recorder = new RecordingHandler();
        using var client = new HttpClient(new ServiceDiscoveryHandler(Endpoints) { InnerHandler = recorder });

        await client.GetAsync("http://maps-api/api/v3/maps/carto_dw/table?name=x", TestContext.Current.CancellationToken);
        await client.GetAsync("http://example.test/other", TestContext.Current.CancellationToken);

        Assert.Equal(["http://127.0.0.1:15103/api/v3/maps/carto_dw/table?name=x", "http://example.test/other"], recorder.Seen);
    }

    [Theory]
    [InlineData("127.0.0.1:6379", "127.0.0.1", 6379)]
    [InlineData("cache.internal:16379,abortConnect=false", "cache.internal", 16379)]
    [InlineData("cache.internal", "cache.internal", 6379)]
    public void RedisConnectionStringsParse(string connectionString, string host, int port) =>
        Assert.Equal(new RedisEndpoint(host, port), RedisEndpoint.Parse(connectionString));

    private sealed class RecordingHandler : HttpMessageHandler
    {
        public List<string> Seen { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen.Add(request.RequestUri!.ToString());
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NoContent));
        }
    }
}
