using System.Net;
using CartoSelfHosted.AccountsApi.Apis;
using CartoSelfHosted.Platform.Security;
using Microsoft.Extensions.Hosting;

namespace CartoSelfHosted.Integration.Tests.Accounts;

/// <summary>The development token exists in a development installation (what ./run.sh runs) and nowhere else.</summary>
public sealed class DevelopmentTokenTests
{
    [Fact]
    public async Task OutsideDevelopmentTheDevelopmentTokenIsNeitherStoredNorKept()
    {
        var metadata = await TestServers.CreateMetadataDatabaseAsync("dev_token");
        var settings = new Dictionary<string, string> { ["ConnectionStrings:metadata"] = metadata };

        // First run as a development installation: its development token is an admin's.
        string developmentToken;
        await using (var development = await ApiFactory<CurrentAccount>.StartAsync("dev_token", settings))
        {
            developmentToken = development.BootstrapToken;
            using var client = development.CreateClient(developmentToken);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v3/accounts/me", TestContext.Current.CancellationToken)).StatusCode);
        }

        // Then deployed on the same database: the configured token is not stored, and the stored one is gone.
        await using var production = await ApiFactory<CurrentAccount>.StartAsync("dev_token", settings, environment: Environments.Production);
        foreach (var token in new[] { developmentToken, production.BootstrapToken })
        {
            using var client = production.CreateClient(token);
            await AccountsInstallation.AssertProblemAsync(await client.GetAsync("/api/v3/accounts/me", TestContext.Current.CancellationToken),
                HttpStatusCode.Unauthorized);
        }
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(metadata);
        Assert.Equal(0L, await MetadataMigrationTests.ScalarAsync<long>(dataSource,
            $"SELECT count(*) FROM api_tokens WHERE name = '{ApiTokens.DevelopmentTokenName}'"));
    }
}
