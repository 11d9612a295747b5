extern alias LdsApi;

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LdsApi::CartoSelfHosted.LdsApi.Quotas;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Lds;

/// <summary>
/// Monthly quotas per organization and service: counted exactly under concurrency in the metadata database, a 429 problem
/// once spent, calls that give no answer not counted, and the stats that show them. Organization B has the small quotas of
/// <see cref="LdsEnvironment.QuotaOfB"/>; A has none.
/// </summary>
[Collection(LdsEnvironment.Collection)]
public sealed class QuotaTests(LdsEnvironment environment) : IAsyncLifetime
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>
    /// Every test starts with B's use of this month (and any other) at nothing — counts of unlimited calls an earlier test left
    /// in memory written first, so that none lands after — and with the configuration's quotas.
    /// </summary>
    public async ValueTask InitializeAsync()
    {
        await environment.Lds.Services.GetRequiredService<UnlimitedUseCounter>().FlushAsync(Cancellation);
        await MetadataAsync("DELETE FROM lds_usage WHERE organization_id = $1", environment.Databases.B.Id);
        await DropQuotasSetByAdminsAsync();
    }

    /// <summary>The other classes of the collection call lds-api as A and B too: no quota set here outlives its test.</summary>
    public async ValueTask DisposeAsync() => await DropQuotasSetByAdminsAsync();

    /// <summary>Drops every quota an admin set, through the API, so that lds-api holds them no more at once.</summary>
    private async Task DropQuotasSetByAdminsAsync()
    {
        using var admin = environment.Lds.CreateAuthorizedClient();
        foreach (var organization in (await admin.GetFromJsonAsync<JsonElement>("/api/v3/lds/quotas", Cancellation)).EnumerateArray())
        {
            foreach (var service in organization.GetProperty("services").EnumerateArray().Where(service => service.GetProperty("set_by").GetString() == "api"))
            {
                using var removed = await admin.DeleteAsync(
                    $"/api/v3/lds/quotas/{organization.GetProperty("organization").GetString()}/{service.GetProperty("service").GetString()}", Cancellation);
                removed.EnsureSuccessStatusCode();
            }
        }
    }

    [Fact]
    public async Task ConcurrentGeocodesPastTheQuotaAreRefusedExactlyWithA429ThatSaysWhenItRenews()
    {
        var quota = LdsEnvironment.QuotaOfB.Geocoding;
        using var client = environment.ClientOfB();
        // Half as many again as the quota, all at once: exactly the quota's worth get an answer.
        var responses = await Task.WhenAll(Enumerable.Range(0, (int)quota * 3 / 2).Select(index =>
            client.GetAsync(index % 2 == 0 ? "/api/v3/lds/geocoding/geocode?address=Paris" : "/api/v3/lds/geocoding/reverse?lat=48.85&lon=2.35",
                Cancellation)));
        Assert.Equal(quota, responses.Count(response => response.StatusCode == HttpStatusCode.OK));
        Assert.Equal(quota / 2, responses.Count(response => response.StatusCode == HttpStatusCode.TooManyRequests));

        var refused = responses.First(response => response.StatusCode == HttpStatusCode.TooManyRequests);
        var problem = await LdsEnvironment.AssertProblemAsync(refused, "geocoding quota", HttpStatusCode.TooManyRequests);
        Assert.EndsWith("/quota-spent", problem.GetProperty("type").GetString());
        var renewal = new DateTime(DateTime.UtcNow.Year, DateTime.UtcNow.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
        Assert.Contains($"{renewal:yyyy-MM-dd}", problem.GetProperty("detail").GetString());
        var retryAfter = refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero;
        Assert.InRange((renewal - DateTime.UtcNow - retryAfter).Duration(), TimeSpan.Zero, TimeSpan.FromMinutes(1));

        // A batch is refused whole too (nothing of it is geocoded), and so is a single call by POST.
        using var batch = await client.PostAsJsonAsync("/api/v3/lds/geocoding/batch", new { addresses = new[] { "Lyon", "Nantes" } }, Cancellation);
        await LdsEnvironment.AssertProblemAsync(batch, "these 2 calls do not fit", HttpStatusCode.TooManyRequests);
        using var byPost = await client.PostAsJsonAsync("/api/v3/lds/geocoding/geocode", new { address = "Lyon" }, Cancellation);
        Assert.Equal(HttpStatusCode.TooManyRequests, byPost.StatusCode);

        var geocoding = await StatsOfAsync(client, "geocoding");
        Assert.Equal(quota, geocoding.GetProperty("monthly_quota").GetInt64());
        Assert.Equal(quota, geocoding.GetProperty("used_quota").GetInt64());
        Assert.Equal(0, geocoding.GetProperty("available_quota").GetInt64());
        Assert.Equal($"{renewal:yyyy-MM-dd}", geocoding.GetProperty("period_end").GetString());
        // The other services are counted apart: routing still answers.
        using var route = await client.GetAsync("/api/v3/lds/routing?origin=11.94,57.68&destination=11.99,57.72", Cancellation);
        Assert.Equal(HttpStatusCode.OK, route.StatusCode);
    }

    [Fact]
    public async Task CallsThatGiveNoAnswerAreNotCountedAndABatchOrAnIsolineCountsEachOfItsParts()
    {
        using var client = environment.ClientOfB();
        // Bad input, refused before anything runs.
        using (var noAddress = await client.GetAsync("/api/v3/lds/geocoding/geocode?address=", Cancellation))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noAddress.StatusCode);
        }
        // A route whose destination is off the network: the query ran, but the answer is a problem.
        using (var offNetwork = await client.GetAsync("/api/v3/lds/routing?origin=11.94,57.68&destination=18.07,59.33", Cancellation))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, offNetwork.StatusCode);
        }
        // A batch of three entries, one of them not an address: two geocodes.
        using (var batch = await client.PostAsJsonAsync("/api/v3/lds/geocoding/batch", new { addresses = new object?[] { "Lyon", 42, "Nantes" } },
            Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        }
        // Three ranges (one repeated): two isolines.
        using (var isolines = await client.GetAsync("/api/v3/lds/isolines?origin=11.97,57.70&range=300,600,300", Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, isolines.StatusCode);
        }
        Assert.Equal(2, (await StatsOfAsync(client, "geocoding")).GetProperty("used_quota").GetInt64());
        Assert.Equal(0, (await StatsOfAsync(client, "routing")).GetProperty("used_quota").GetInt64());
        Assert.Equal(2, (await StatsOfAsync(client, "isolines")).GetProperty("used_quota").GetInt64());

        // Isolines past what is left are refused whole: 3 left of 5, and a request of 4 ranges does not fit.
        using (var tooMany = await client.GetAsync("/api/v3/lds/isolines?origin=11.97,57.70&range=100,200,300,400", Cancellation))
        {
            await LdsEnvironment.AssertProblemAsync(tooMany, "3 left", HttpStatusCode.TooManyRequests);
        }
        // Routing: its quota of 3 answers, then the fourth is refused.
        for (var route = 0; route < LdsEnvironment.QuotaOfB.Routing; route++)
        {
            using var answered = await client.GetAsync("/api/v3/lds/routing?origin=11.94,57.68&destination=11.99,57.72&mode=walk", Cancellation);
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }
        using var fourth = await client.GetAsync("/api/v3/lds/routing?origin=11.94,57.68&destination=11.99,57.72&mode=walk", Cancellation);
        await LdsEnvironment.AssertProblemAsync(fourth, "routing quota", HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task LastMonthsUseIsNotThisMonthsAndTheOlderQuotaPathAnswersTheSame()
    {
        var lastMonth = DateOnly.FromDateTime(DateTime.UtcNow).AddMonths(-1);
        await MetadataAsync("INSERT INTO lds_usage (organization_id, service, month, used) VALUES ($1, 'geocoding', $2, $3)",
            environment.Databases.B.Id, new DateOnly(lastMonth.Year, lastMonth.Month, 1), LdsEnvironment.QuotaOfB.Geocoding);
        using var client = environment.ClientOfB();
        using (var geocode = await client.GetAsync("/api/v3/lds/geocoding/geocode?address=Paris", Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, geocode.StatusCode);
        }
        Assert.Equal(1, (await StatsOfAsync(client, "geocoding")).GetProperty("used_quota").GetInt64());
        var stats = await client.GetStringAsync("/api/v3/lds/stats", Cancellation);
        Assert.Equal(stats, await client.GetStringAsync("/api/v3/lds/quota", Cancellation));
    }

    [Fact]
    public async Task AnOrganizationWithoutAQuotaIsUnlimitedAndItsCallsAreCounted()
    {
        using var client = environment.Client();
        var before = (await StatsOfAsync(client, "geocoding")).GetProperty("used_quota").GetInt64();
        using (var geocode = await client.GetAsync("/api/v3/lds/geocoding/geocode?address=Lyon", Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, geocode.StatusCode);
        }
        var geocoding = await StatsOfAsync(client, "geocoding");
        Assert.Equal(JsonValueKind.Null, geocoding.GetProperty("monthly_quota").ValueKind);
        Assert.Equal(JsonValueKind.Null, geocoding.GetProperty("available_quota").ValueKind);
        Assert.Equal("carto-self-hosted", geocoding.GetProperty("provider").GetString());
        // Other tests of the collection geocode as A too, but never at the same time as this one.
        Assert.Equal(before + 1, geocoding.GetProperty("used_quota").GetInt64());
        // Without a quota, calls are counted in memory and written within a second or so.
        var written = 0L;
        for (var attempt = 0; attempt < 50 && written != before + 1; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), Cancellation);
            written = await MetadataScalarAsync<long>(
                "SELECT coalesce(sum(used), 0)::bigint FROM lds_usage WHERE organization_id = $1 AND service = 'geocoding' " +
                "AND month = date_trunc('month', now() AT TIME ZONE 'UTC')::date", environment.Databases.A.Id);
        }
        Assert.Equal(before + 1, written);
        // B's use is B's alone.
        using var ofB = environment.ClientOfB();
        Assert.Equal(0, (await StatsOfAsync(ofB, "geocoding")).GetProperty("used_quota").GetInt64());
    }

    [Fact]
    public async Task TheStatsNeedATokenAndAnApiAccessTokenWithLds()
    {
        using var anonymous = environment.Lds.CreateClient();
        using (var response = await anonymous.GetAsync("/api/v3/lds/stats", Cancellation))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        using var mapsOnly = environment.Lds.CreateClient(await environment.ApiAccessTokenAsync("maps"));
        using (var response = await mapsOnly.GetAsync("/api/v3/lds/stats", Cancellation))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        using var lds = environment.Lds.CreateClient(await environment.ApiAccessTokenAsync("lds"));
        using (var response = await lds.GetAsync("/api/v3/lds/stats", Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task AnInstallationAdminSetsAnOrganizationsQuotaInPlaceOfTheConfigurationsAndItHoldsAtOnce()
    {
        using var admin = environment.Lds.CreateAuthorizedClient();
        using var ofB = environment.ClientOfB();
        var slugOfB = environment.Databases.B.Slug;
        // Every organization is listed, B with the quotas its configuration gives.
        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/v3/lds/quotas", Cancellation);
        var organizations = listed.EnumerateArray().Select(organization => organization.GetProperty("organization").GetString()).ToList();
        Assert.Contains(environment.Databases.A.Slug, organizations);
        Assert.Contains(slugOfB, organizations);
        var geocodingOfB = ServiceOf(listed.EnumerateArray().Single(organization => organization.GetProperty("organization").GetString() == slugOfB),
            "geocoding");
        Assert.Equal(LdsEnvironment.QuotaOfB.Geocoding, geocodingOfB.GetProperty("monthly_quota").GetInt64());
        Assert.Equal("configuration", geocodingOfB.GetProperty("set_by").GetString());

        // Down to 2: the third geocode of the month is refused, and B's own stats say so.
        using (var set = await admin.PutAsJsonAsync($"/api/v3/lds/quotas/{slugOfB}/geocoding", new { monthly_quota = 2 }, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            var geocoding = ServiceOf(await set.Content.ReadFromJsonAsync<JsonElement>(Cancellation), "geocoding");
            Assert.Equal(2, geocoding.GetProperty("monthly_quota").GetInt64());
            Assert.Equal("api", geocoding.GetProperty("set_by").GetString());
        }
        for (var call = 0; call < 2; call++)
        {
            using var answered = await ofB.GetAsync("/api/v3/lds/geocoding/geocode?address=Lyon", Cancellation);
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }
        using (var third = await ofB.GetAsync("/api/v3/lds/geocoding/geocode?address=Lyon", Cancellation))
        {
            await LdsEnvironment.AssertProblemAsync(third, "quota is 2 a month", HttpStatusCode.TooManyRequests);
        }
        Assert.Equal(2, (await StatsOfAsync(ofB, "geocoding")).GetProperty("monthly_quota").GetInt64());
        // The other services keep the configuration's.
        Assert.Equal(LdsEnvironment.QuotaOfB.Routing, (await StatsOfAsync(ofB, "routing")).GetProperty("monthly_quota").GetInt64());

        // Unlimited, whatever the configuration says.
        using (var unlimited = await admin.PutAsJsonAsync($"/api/v3/lds/quotas/{slugOfB}/geocoding", new { unlimited = true }, Cancellation))
        {
            Assert.Equal(JsonValueKind.Null, ServiceOf(await unlimited.Content.ReadFromJsonAsync<JsonElement>(Cancellation), "geocoding")
                .GetProperty("monthly_quota").ValueKind);
        }
        using (var answered = await ofB.GetAsync("/api/v3/lds/geocoding/geocode?address=Lyon", Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }
        Assert.Equal(JsonValueKind.Null, (await StatsOfAsync(ofB, "geocoding")).GetProperty("monthly_quota").ValueKind);

        // Given back to the configuration: 40 again, and the month's 3 geocodes count against it.
        using (var removed = await admin.DeleteAsync($"/api/v3/lds/quotas/{slugOfB}/geocoding", Cancellation))
        {
            var geocoding = ServiceOf(await removed.Content.ReadFromJsonAsync<JsonElement>(Cancellation), "geocoding");
            Assert.Equal(LdsEnvironment.QuotaOfB.Geocoding, geocoding.GetProperty("monthly_quota").GetInt64());
            Assert.Equal("configuration", geocoding.GetProperty("set_by").GetString());
        }
        var afterwards = await StatsOfAsync(ofB, "geocoding");
        Assert.Equal(LdsEnvironment.QuotaOfB.Geocoding, afterwards.GetProperty("monthly_quota").GetInt64());
        Assert.Equal(3, afterwards.GetProperty("used_quota").GetInt64());

        // An organization without a quota gets one: A may route no more this month.
        using (var none = await admin.PutAsJsonAsync($"/api/v3/lds/quotas/{environment.Databases.A.Slug}/routing", new { monthly_quota = 0 }, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        }
        using var client = environment.Client();
        using var route = await client.GetAsync("/api/v3/lds/routing?origin=11.94,57.68&destination=11.99,57.72", Cancellation);
        await LdsEnvironment.AssertProblemAsync(route, "routing quota is 0 a month", HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task AQuotaSetOnAnotherReplicaHoldsHereWithinASecond()
    {
        // Another replica's change is only a row in the metadata database to this one.
        await MetadataAsync("INSERT INTO lds_quotas (organization_id, service, monthly_quota) VALUES ($1, 'isolines', 0)", environment.Databases.B.Id);
        var set = Stopwatch.StartNew();
        using var ofB = environment.ClientOfB();
        HttpStatusCode status;
        do
        {
            using var isoline = await ofB.GetAsync("/api/v3/lds/isolines?origin=11.97,57.70&range=300", Cancellation);
            status = isoline.StatusCode;
        }
        while (status == HttpStatusCode.OK && set.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.InRange(set.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task OnlyTheInstallationsAdminsSetQuotasAndAChangeThatIsNotOneIsRefused()
    {
        var path = $"/api/v3/lds/quotas/{environment.Databases.B.Slug}/geocoding";
        // B's own admin, A's admin (other organizations than the first), an API access token with lds, no token at all.
        foreach (var (client, status) in new[]
        {
            (environment.ClientOfB(), HttpStatusCode.Forbidden),
            (environment.Client(), HttpStatusCode.Forbidden),
            (environment.Lds.CreateClient(await environment.ApiAccessTokenAsync("lds")), HttpStatusCode.Forbidden),
            (environment.Lds.CreateClient(), HttpStatusCode.Unauthorized),
        })
        {
            using (client)
            {
                using var put = await client.PutAsJsonAsync(path, new { monthly_quota = 1000000 }, Cancellation);
                Assert.Equal(status, put.StatusCode);
                using var list = await client.GetAsync("/api/v3/lds/quotas", Cancellation);
                Assert.Equal(status, list.StatusCode);
                using var delete = await client.DeleteAsync(path, Cancellation);
                Assert.Equal(status, delete.StatusCode);
            }
        }

        using var admin = environment.Lds.CreateAuthorizedClient();
        foreach (var (body, named) in new (object Body, string Named)[]
        {
            (new { }, "monthly_quota"),
            (new { monthly_quota = 5, unlimited = true }, "monthly_quota"),
            (new { unlimited = false }, "monthly_quota"),
            (new { monthly_quota = -1 }, "0 or more"),
        })
        {
            using var refused = await admin.PutAsJsonAsync(path, body, Cancellation);
            await LdsEnvironment.AssertProblemAsync(refused, named);
        }
        using (var notJson = await admin.PutAsync(path, new StringContent("{\"monthly_quota\": \"many\"}", Encoding.UTF8, "application/json"),
            Cancellation))
        {
            Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        }
        using (var noSuchOrganization = await admin.PutAsJsonAsync("/api/v3/lds/quotas/no_such_org/geocoding", new { monthly_quota = 1 }, Cancellation))
        {
            await LdsEnvironment.AssertProblemAsync(noSuchOrganization, "no_such_org", HttpStatusCode.NotFound);
        }
        using (var noSuchService = await admin.PutAsJsonAsync($"/api/v3/lds/quotas/{environment.Databases.B.Slug}/weather", new { monthly_quota = 1 },
            Cancellation))
        {
            await LdsEnvironment.AssertProblemAsync(noSuchService, "geocoding, routing, isolines", HttpStatusCode.NotFound);
        }
        using (var unknown = await admin.GetAsync("/api/v3/lds/quotas/no_such_org", Cancellation))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
        // Nothing of it changed B's quota.
        using var ofB = environment.ClientOfB();
        Assert.Equal(LdsEnvironment.QuotaOfB.Geocoding, (await StatsOfAsync(ofB, "geocoding")).GetProperty("monthly_quota").GetInt64());
    }

    private static JsonElement ServiceOf(JsonElement organization, string service) =>
        organization.GetProperty("services").EnumerateArray().Single(entry => entry.GetProperty("service").GetString() == service);

    private static async Task<JsonElement> StatsOfAsync(HttpClient client, string service)
    {
        var stats = JsonDocument.Parse(await client.GetStringAsync("/api/v3/lds/stats", Cancellation)).RootElement;
        Assert.Equal(["geocoding", "routing", "isolines"], stats.EnumerateArray().Select(entry => entry.GetProperty("service").GetString()));
        return stats.EnumerateArray().Single(entry => entry.GetProperty("service").GetString() == service);
    }

    private async Task<T> MetadataScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var metadata = NpgsqlDataSource.Create(environment.Lds.Metadata);
        await using var command = metadata.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        return (T)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    private async Task MetadataAsync(string sql, params object[] parameters)
    {
        await using var metadata = NpgsqlDataSource.Create(environment.Lds.Metadata);
        await using var command = metadata.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        await command.ExecuteNonQueryAsync(Cancellation);
    }
}
