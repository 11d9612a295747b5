using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.TestSupport;
using CartoSelfHosted.WorkspaceApi.Connections;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Messaging;

/// <summary>workspace-api's ping endpoint: what it refuses, and that it keeps accepting work while the broker is away.</summary>
public sealed class PingApiTests
{
    private static async Task<ApiFactory<ConnectionList>> StartApiAsync(string emulatorHost) =>
        await ApiFactory<ConnectionList>.StartAsync("ping_api", new Dictionary<string, string>
        {
            ["ConnectionStrings:warehouse"] = await TestServers.CreateDatabaseAsync("ping_api_dw"),
            ["ConnectionStrings:redis"] = TestServers.Redis,
            ["PUBSUB_EMULATOR_HOST"] = emulatorHost,
            ["PubSub:ProjectId"] = $"test-{Guid.NewGuid():N}"[..24],
        });

    [Theory]
    [InlineData("""{"topics":["billing"]}""", "Unknown topic")]
    [InlineData("""{"topics":[]}""", "No topic")]
    [InlineData("""{"delayMilliseconds":-1}""", "Invalid delay")]
    [InlineData("""{"delayMilliseconds":600001}""", "Invalid delay")]
    [InlineData("""{"topics":"sql-jobs"}""", "Bad Request")]
    [InlineData("""{"delayMilliseconds":""", "Bad Request")]
    public async Task ABadPingIsA400ProblemAndPutsNothingInTheOutbox(string body, string title)
    {
        await using var api = await StartApiAsync(TestServers.PubSubEmulatorHost);
        using var client = api.CreateAuthorizedClient();

        using var response = await client.PostAsync("/api/v3/messaging/pings", new StringContent(body, Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Equal(0, await CountOutboxAsync(api));
    }

    [Fact]
    public async Task WithoutATokenNothingIsSent()
    {
        await using var api = await StartApiAsync(TestServers.PubSubEmulatorHost);

        using var response = await api.CreateClient().PostAsync("/api/v3/messaging/pings", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await CountOutboxAsync(api));
    }

    [Fact]
    public async Task WithTheBrokerDownAPingIsStillAcceptedAndWaitsInTheOutboxWhileHealthIsDegraded()
    {
        await using var api = await StartApiAsync($"127.0.0.1:{LoopbackPorts.Free()}");
        using var client = api.CreateAuthorizedClient();

        using var response = await client.PostAsync("/api/v3/messaging/pings", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal($"/api/v3/messaging/pings/{accepted.GetProperty("id").GetGuid()}", response.Headers.Location?.ToString());
        Assert.Equal(5, accepted.GetProperty("subscriptions").GetArrayLength());
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        Assert.Equal(4, await CountOutboxAsync(api, pendingOnly: true));

        var status = await client.GetFromJsonAsync<JsonElement>("/api/v3/messaging/status", TestContext.Current.CancellationToken);
        Assert.Equal(4, status.GetProperty("outbox").GetProperty("pending").GetInt64());
        using var health = await client.GetAsync("/health", TestContext.Current.CancellationToken);
        var report = await health.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Degraded", report.GetProperty("status").GetString());
        Assert.Contains(report.GetProperty("checks").EnumerateArray(), check =>
            check.GetProperty("name").GetString() == "pubsub" && check.GetProperty("status").GetString() == "Degraded");
    }

    private static async Task<long> CountOutboxAsync(ApiFactory<ConnectionList> api, bool pendingOnly = false)
    {
        await using var dataSource = NpgsqlDataSource.Create(api.Metadata);
        await using var command = dataSource.CreateCommand(
            "SELECT count(*) FROM outbox_messages" + (pendingOnly ? " WHERE sent_at IS NULL" : ""));
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
