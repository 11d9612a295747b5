extern alias LdsApi;

using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Net;
using CartoSelfHosted.Platform.Gazetteer;
using CartoSelfHosted.Platform.RoadNetwork;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.Platform.Warehouse;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Lds;

/// <summary>
/// lds-api in process over a warehouse of its own (two organizations, <see cref="TenantDatabases"/>) into which the
/// gazetteer and the road network are loaded once, from the npm packages' files the build copied beside the tests, for every
/// LDS test class. lds-api starts after the load, finds them there and does not load them again.
/// </summary>
public sealed class LdsEnvironment : IAsyncLifetime
{
    public const string Collection = "lds";

    /// <summary>The largest OpenStreetMap file an administrator may load here (Gothenburg's is about a third of it).</summary>
    public const int MaxRoadNetworkFileBytes = 48 * 1024 * 1024;

    /// <summary>Organization B's monthly quotas.</summary>
    public static readonly (long Geocoding, long Routing, long Isolines) QuotaOfB = (40, 3, 5);

    public TenantDatabases Databases { get; private set; } = null!;

    public ApiFactory<LdsApi::Program> Lds { get; private set; } = null!;

    /// <summary>How long the first load of the gazetteer took.</summary>
    public TimeSpan LoadTime { get; private set; }

    /// <summary>How long the first load of the road network took (osm2pgrouting, for cars and on foot, and the network's SQL).</summary>
    public TimeSpan RoadNetworkLoadTime { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Databases = await TenantDatabases.CreateAsync("lds");
        await using (var dataSource = NpgsqlDataSource.Create(Databases.Warehouse))
        {
            var loader = new GazetteerLoader(new WarehouseDatabase(dataSource, Databases.Warehouse), NullLogger<GazetteerLoader>.Instance);
            var stopwatch = Stopwatch.StartNew();
            Assert.True(await loader.LoadAsync(new GazetteerSources(Path.Combine(AppContext.BaseDirectory, "gazetteer")), CancellationToken.None));
            LoadTime = stopwatch.Elapsed;

            var roads = new RoadNetworkLoader(new WarehouseDatabase(dataSource, Databases.Warehouse), Options.Create(new RoadNetworkOptions()),
                NullLogger<RoadNetworkLoader>.Instance);
            stopwatch.Restart();
            Assert.True(await roads.LoadAsync(new RoadNetworkSources(Path.Combine(AppContext.BaseDirectory, "road-network")), CancellationToken.None));
            RoadNetworkLoadTime = stopwatch.Elapsed;
        }
        var settings = Databases.PlatformSettings();
        // A has no quotas (the installation's default); B has small ones, which the quota tests spend.
        settings[$"Lds:Organizations:{Databases.B.Slug}:Geocoding"] = QuotaOfB.Geocoding.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings[$"Lds:Organizations:{Databases.B.Slug}:Routing"] = QuotaOfB.Routing.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings[$"Lds:Organizations:{Databases.B.Slug}:Isolines"] = QuotaOfB.Isolines.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["RoadNetwork:MaxFileBytes"] = MaxRoadNetworkFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Lds = await ApiFactory<LdsApi::Program>.StartAsync("lds", settings);
    }

    public async ValueTask DisposeAsync() => await Lds.DisposeAsync();

    /// <summary>lds-api as organization A's admin.</summary>
    public HttpClient Client() => Lds.CreateClient(Databases.A.Token);

    /// <summary>lds-api as organization B's admin, whose quotas are <see cref="QuotaOfB"/>.</summary>
    public HttpClient ClientOfB() => Lds.CreateClient(Databases.B.Token);

    /// <summary>The candidates of <c>GET url</c>: the <c>value</c> of CARTO's one-element answer.</summary>
    public async Task<JsonElement[]> CandidatesAsync(string url)
    {
        using var client = Client();
        using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{url}: {text}");
        var answer = JsonDocument.Parse(text).RootElement;
        return Assert.Single(answer.EnumerateArray()).GetProperty("value").EnumerateArray().ToArray();
    }

    /// <summary>POSTs a batch and returns the answer's entries.</summary>
    public async Task<JsonElement[]> BatchAsync(object body)
    {
        using var client = Client();
        using var response = await client.PostAsJsonAsync("/api/v3/lds/geocoding/batch", body, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.EnumerateArray().ToArray();
    }

    /// <summary>
    /// <paramref name="count"/> places of the gazetteer of <paramref name="minPopulation"/> people or more, in a fixed
    /// order that has nothing to do with their names or sizes (the md5 of their ids).
    /// </summary>
    public Task<List<GazetteerPlace>> SamplePlacesAsync(int count, int minPopulation = 0) => WarehouseRowsAsync($"""
        SELECT name, public.unaccent(name), coalesce(admin1, ''), country_name, latitude, longitude
        FROM lds.places WHERE population >= {minPopulation} ORDER BY md5(id::text) LIMIT {count}
        """, reader => new GazetteerPlace(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
            reader.GetDouble(4), reader.GetDouble(5)));

    /// <summary>Whether a candidate's point is within <paramref name="kilometres"/> of the place.</summary>
    public static bool IsNear(GazetteerPlace place, JsonElement candidate, double kilometres = 10) =>
        DistanceKm(place.Latitude, place.Longitude, candidate.GetProperty("latitude").GetDouble(), candidate.GetProperty("longitude").GetDouble())
            <= kilometres;

    /// <summary>Rows of a query on the warehouse, as the administrator, its values bound as positional parameters ($1, $2…).</summary>
    public async Task<List<T>> WarehouseRowsAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params object[] parameters)
    {
        await using var dataSource = NpgsqlDataSource.Create(Databases.Warehouse);
        await using var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            rows.Add(read(reader));
        }
        return rows;
    }

    /// <summary>An API access token of organization A, granted its whole warehouse, through <paramref name="api"/> only.</summary>
    public async Task<string> ApiAccessTokenAsync(string api)
    {
        var token = ApiTokens.Generate();
        await using var metadata = NpgsqlDataSource.Create(Lds.Metadata);
        await using var command = metadata.CreateCommand("""
            INSERT INTO api_tokens (organization_id, name, token_hash, grants, allowed_apis)
            VALUES ($1, 'lds test', $2, '[{"connection_name": "carto_dw", "source": "*"}]', ARRAY[$3])
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = Databases.A.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = ApiTokens.Hash(token) });
        command.Parameters.Add(new NpgsqlParameter { Value = api });
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return token;
    }

    /// <summary>Asserts an answer is a problem (RFC 9457) of <paramref name="status"/> whose detail names <paramref name="named"/>.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, string named, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Contains(named, problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        return problem;
    }

    /// <summary>Great-circle distance in kilometres.</summary>
    public static double DistanceKm(double latitude1, double longitude1, double latitude2, double longitude2)
    {
        static double Radians(double degrees) => degrees * Math.PI / 180;
        var a = Math.Pow(Math.Sin(Radians(latitude2 - latitude1) / 2), 2) +
            Math.Cos(Radians(latitude1)) * Math.Cos(Radians(latitude2)) * Math.Pow(Math.Sin(Radians(longitude2 - longitude1) / 2), 2);
        return 6371 * 2 * Math.Asin(Math.Sqrt(a));
    }
}

/// <summary>A place of the gazetteer as the tests write it: its name (and without accents), admin1, country and position.</summary>
public sealed record GazetteerPlace(string Name, string Unaccented, string Admin1, string Country, double Latitude, double Longitude);

[CollectionDefinition(LdsEnvironment.Collection)]
public sealed class LdsCollection : ICollectionFixture<LdsEnvironment>;
