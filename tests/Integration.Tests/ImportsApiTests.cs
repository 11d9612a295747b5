using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.ImportApi.Apis;
using CartoSelfHosted.Platform.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace CartoSelfHosted.Integration.Tests;

public sealed class ImportsApiTests : IAsyncLifetime
{
    private ApiFactory<ImportJobPage> _api = null!;

    public async ValueTask InitializeAsync() =>
        _api = await ApiFactory<ImportJobPage>.StartAsync("imports",
            new Dictionary<string, string> { ["PUBSUB_EMULATOR_HOST"] = TestServers.PubSubEmulatorHost });

    public async ValueTask DisposeAsync() => await _api.DisposeAsync();

    [Theory]
    [InlineData("?page=abc")]
    [InlineData("?page=0")]
    [InlineData("?pageSize=1000")]
    [InlineData("?pageSize=-1")]
    public async Task BadPagingIs400ProblemDetailsNot500(string query)
    {
        using var response = await _api.CreateAuthorizedClient().GetAsync("/api/v3/imports" + query, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AnOrganizationSeesOnlyItsOwnImportJobsNewestFirst()
    {
        var metadata = _api.Services.GetRequiredService<MetadataDatabase>();
        await using (var command = metadata.DataSource.CreateCommand("""
            INSERT INTO organizations (id, slug, name) VALUES ('00000000-0000-0000-0000-0000000000b2', 'other', 'Other');
            INSERT INTO jobs (kind, organization_id, created_at) VALUES
                ('import', '00000000-0000-0000-0000-000000000001', now() - interval '2 minutes'),
                ('import', '00000000-0000-0000-0000-000000000001', now() - interval '1 minute'),
                ('import', '00000000-0000-0000-0000-000000000001', now()),
                ('sql',    '00000000-0000-0000-0000-000000000001', now()),
                ('import', '00000000-0000-0000-0000-0000000000b2', now());
            """))
        {
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var first = await _api.CreateAuthorizedClient().GetFromJsonAsync<JsonElement>("/api/v3/imports?pageSize=2", TestContext.Current.CancellationToken);
        var second = await _api.CreateAuthorizedClient().GetFromJsonAsync<JsonElement>("/api/v3/imports?pageSize=2&page=2", TestContext.Current.CancellationToken);

        Assert.Equal(3, first.GetProperty("total").GetInt64());
        var times = first.GetProperty("jobs").EnumerateArray().Concat(second.GetProperty("jobs").EnumerateArray())
            .Select(job => job.GetProperty("createdAt").GetDateTimeOffset()).ToList();
        Assert.Equal(3, times.Count);
        Assert.Equal(times.OrderDescending(), times);
    }
}
