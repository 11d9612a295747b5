extern alias LdsApi;

using System.Net;
using CartoSelfHosted.TestSupport;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Lds;

/// <summary>
/// The first start of lds-api on a warehouse without a gazetteer or road network: it answers at once (geocoding a 503
/// problem with Retry-After while it loads), geocodes and routes once they are loaded, and a second start finds them loaded
/// and keeps them; an outdated gazetteer that an organization's view reads is kept too, and serves.
/// </summary>
public sealed class GazetteerLoadingTests
{
    private const string RouteUrl = "/api/v3/lds/routing?origin=11.94,57.68&destination=11.99,57.72";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheFirstStartLoadsTheGazetteerInTheBackgroundAndTheNextOnesKeepIt()
    {
        var databases = await TenantDatabases.CreateAsync("lds_load");
        var settings = databases.PlatformSettings();
        await using (var lds = await ApiFactory<LdsApi::Program>.StartAsync("lds_load", settings))
        {
            using var client = lds.CreateClient(databases.A.Token);
            using var loading = await client.GetAsync("/api/v3/lds/geocoding/geocode?address=Paris", Cancellation);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, loading.StatusCode);
            Assert.Equal("application/problem+json", loading.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(loading.Headers.RetryAfter);

            await AnswersAsync(client, "/api/v3/lds/geocoding/geocode?address=Paris", TimeSpan.FromMinutes(3), "the gazetteer to load");
            // The road network loads beside it (osm2pgrouting), each data set on its own.
            await AnswersAsync(client, RouteUrl, TimeSpan.FromMinutes(3), "the road network to load");
        }
        var networkLoadedAt = await LoadedAtAsync(databases.Warehouse, "routing.network");
        var loadedAt = await LoadedAtAsync(databases.Warehouse);

        await using (var again = await ApiFactory<LdsApi::Program>.StartAsync("lds_load", settings))
        {
            using var client = again.CreateClient(databases.A.Token);
            await AnswersAsync(client, "/api/v3/lds/geocoding/reverse?lat=48.85&lon=2.35", TimeSpan.FromSeconds(30), "the loaded gazetteer to be found");
            await AnswersAsync(client, RouteUrl, TimeSpan.FromSeconds(30), "the loaded road network to be found");
        }
        Assert.Equal(loadedAt, await LoadedAtAsync(databases.Warehouse));
        Assert.Equal(networkLoadedAt, await LoadedAtAsync(databases.Warehouse, "routing.network"));

        // An outdated gazetteer that an organization's view reads is not made again (that would drop the view): the old
        // one serves on.
        await databases.AsOrganizationAsync(databases.A, "CREATE VIEW big_places AS SELECT name FROM lds.places WHERE population > 5000000");
        await using (var warehouse = NpgsqlDataSource.Create(databases.Warehouse))
        await using (var outdate = warehouse.CreateCommand("UPDATE lds.gazetteer SET version = 'outdated'"))
        {
            await outdate.ExecuteNonQueryAsync(Cancellation);
        }
        await using (var upgraded = await ApiFactory<LdsApi::Program>.StartAsync("lds_load", settings))
        {
            using var client = upgraded.CreateClient(databases.A.Token);
            await AnswersAsync(client, "/api/v3/lds/geocoding/geocode?address=Paris", TimeSpan.FromSeconds(30), "the old gazetteer to serve");
        }
        Assert.Equal(loadedAt, await LoadedAtAsync(databases.Warehouse));
        Assert.True(await databases.WarehouseScalarAsync<long>($"SELECT count(*) FROM {databases.A.Schema}.big_places") > 10);
    }

    /// <summary>Waits until <c>GET url</c> answers 200.</summary>
    private static Task AnswersAsync(HttpClient client, string url, TimeSpan timeout, string what) =>
        Eventually.WaitUntilAsync(async () =>
        {
            using var response = await client.GetAsync(url, Cancellation);
            return response.StatusCode == HttpStatusCode.OK;
        }, timeout, what, Cancellation);

    private static async Task<DateTime> LoadedAtAsync(string warehouse, string versionTable = "lds.gazetteer")
    {
        await using var dataSource = NpgsqlDataSource.Create(warehouse);
        await using var command = dataSource.CreateCommand($"SELECT loaded_at FROM {versionTable}");
        return (DateTime)(await command.ExecuteScalarAsync(Cancellation))!;
    }
}
