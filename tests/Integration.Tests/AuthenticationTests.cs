using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.AccountsApi.Apis;
using CartoSelfHosted.Platform.Metadata;
using CartoSelfHosted.Platform.Postgres;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests;

/// <summary>The shared bearer-token seam, exercised through accounts-api against a real metadata database.</summary>
public sealed class AuthenticationTests : IAsyncLifetime
{
    private ApiFactory<CurrentAccount> _api = null!;

    public async ValueTask InitializeAsync() => _api = await ApiFactory<CurrentAccount>.StartAsync("auth");

    public async ValueTask DisposeAsync() => await _api.DisposeAsync();

    [Theory]
    [InlineData("/api/v3/accounts/me")]
    [InlineData("/api/v3/tokens")]
    [InlineData("/api/v3/no-such-route")]
    public async Task WithoutATokenEveryApiPathIs401ProblemDetails(string path)
    {
        using var response = await _api.CreateClient().GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(ProblemTypes.Unauthorized, problem.GetProperty("type").GetString());
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("Bearer cst_not-a-real-token")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    public async Task ABadTokenIs401WithInvalidToken(string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v3/accounts/me");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using var response = await _api.CreateClient().SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString());
        Assert.DoesNotContain("not-a-real-token", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AVeryLongTokenIsRefusedWithoutALookup()
    {
        using var response = await _api.CreateClient("cst_" + new string('a', 5000)).GetAsync("/api/v3/accounts/me", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task TheBootstrapTokenSpeaksForTheDefaultOrganizationAsAdmin()
    {
        var account = await _api.CreateAuthorizedClient().GetFromJsonAsync<JsonElement>("/api/v3/accounts/me", TestContext.Current.CancellationToken);

        Assert.Equal(MetadataDatabase.DefaultOrganizationId, account.GetProperty("organization").GetProperty("id").GetGuid());
        Assert.Equal("development", account.GetProperty("token").GetProperty("name").GetString());
        Assert.Equal(["admin"], account.GetProperty("token").GetProperty("scopes").EnumerateArray().Select(scope => scope.GetString()));
    }

    [Fact]
    public async Task RevokedAndExpiredTokensStopWorking()
    {
        var store = _api.Services.GetRequiredService<ApiTokenStore>();
        var metadata = _api.Services.GetRequiredService<MetadataDatabase>();
        var revoked = ApiTokens.Generate();
        var expired = ApiTokens.Generate();
        await store.StoreAsync(revoked, MetadataDatabase.DefaultOrganizationId, "revoked", [], TestContext.Current.CancellationToken);
        await store.StoreAsync(expired, MetadataDatabase.DefaultOrganizationId, "expired", [], TestContext.Current.CancellationToken);
        await using (var command = metadata.DataSource.CreateCommand("""
            UPDATE api_tokens SET revoked_at = now() WHERE name = 'revoked';
            UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE name = 'expired';
            """))
        {
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        foreach (var token in new[] { revoked, expired })
        {
            using var response = await _api.CreateClient(token).GetAsync("/api/v3/accounts/me", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task WhenTokensCannotBeCheckedTheAnswerIs503NotInvalidToken()
    {
        await using var api = await ApiFactory<CurrentAccount>.StartAsync("auth_down");
        var metadata = new NpgsqlConnectionStringBuilder(api.Services.GetRequiredService<MetadataDatabase>().DataSource.ConnectionString);
        await using (var admin = new NpgsqlConnection(TestServers.PostgresAdmin + ";Database=postgres"))
        {
            await admin.OpenAsync(TestContext.Current.CancellationToken);
            await using var drop = new NpgsqlCommand($"DROP DATABASE {SqlIdentifier.Quote(metadata.Database!)} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        using var response = await api.CreateClient(ApiTokens.Generate()).GetAsync("/api/v3/accounts/me", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.DoesNotContain(metadata.Database!, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WithATokenAnUnknownRouteIs404ProblemDetails()
    {
        using var response = await _api.CreateAuthorizedClient().GetAsync("/api/v3/no-such-route", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    public async Task HealthNeedsNoToken(string path)
    {
        using var response = await _api.CreateClient().GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("Healthy", report.GetProperty("status").GetString());
    }

    [Fact]
    public async Task TokenListingsNeverContainTokenValuesOrHashes()
    {
        var body = await _api.CreateAuthorizedClient().GetStringAsync("/api/v3/tokens", TestContext.Current.CancellationToken);

        Assert.Contains("\"development\"", body);
        Assert.DoesNotContain(_api.BootstrapToken, body);
        Assert.DoesNotContain("hash", body, StringComparison.OrdinalIgnoreCase);
    }
}
