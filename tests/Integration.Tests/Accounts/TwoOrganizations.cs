using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.AccountsApi.Apis;
using CartoSelfHosted.ImportApi.Imports;
using CartoSelfHosted.Integration.Tests.Sql;
using CartoSelfHosted.MapsApi.Apis;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Accounts;

/// <summary>
/// accounts-api, maps-api and import-api in process on one metadata database and warehouse, with two organizations
/// (<see cref="TenantDatabases"/>): A, whose admin user holds <see cref="TestOrganization.Token"/>, with the tables
/// <c>cities</c> and <c>roads</c>; and B, likewise, with <c>secrets</c>.
/// </summary>
public sealed class TwoOrganizations : IAsyncLifetime
{
    private readonly string _storage = Directory.CreateTempSubdirectory("carto-token-imports-").FullName;

    public TenantDatabases Databases { get; private set; } = null!;

    public ApiFactory<CurrentAccount> Accounts { get; private set; } = null!;

    public ApiFactory<SqlJobView> Maps { get; private set; } = null!;

    public ApiFactory<ImportJobView> Imports { get; private set; } = null!;

    /// <summary>What the APIs are configured with, for a test that starts one more (a second replica).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; private set; } = null!;

    public TestOrganization A => Databases.A;

    public TestOrganization B => Databases.B;

    public async ValueTask InitializeAsync()
    {
        Databases = await TenantDatabases.CreateAsync("tokens");
        await MakeUserAsync(A, "admin@a.example.com");
        await MakeUserAsync(B, "admin@b.example.com");
        await Databases.AsOrganizationAsync(A, """
            CREATE TABLE cities (name text, population int, geom geometry(Point, 4326));
            INSERT INTO cities VALUES ('Lisbon', 545000, 'SRID=4326;POINT(-9.14 38.72)'), ('Madrid', 3300000, 'SRID=4326;POINT(-3.7 40.42)');
            CREATE TABLE roads (name text, geom geometry(LineString, 4326));
            INSERT INTO roads VALUES ('A1', 'SRID=4326;LINESTRING(-9 38, -8 41)');
            """);
        await Databases.AsOrganizationAsync(B, "CREATE TABLE secrets (secret text, geom geometry(Point, 4326)); INSERT INTO secrets VALUES ('b-only', 'SRID=4326;POINT(0 0)');");

        var settings = Databases.PlatformSettings();
        settings["ConnectionStrings:object-storage"] = _storage;
        Settings = settings;
        Accounts = await ApiFactory<CurrentAccount>.StartAsync("tokens_accounts", Settings);
        Maps = await ApiFactory<SqlJobView>.StartAsync("tokens_maps", Settings);
        Imports = await ApiFactory<ImportJobView>.StartAsync("tokens_imports", Settings);
    }

    public async ValueTask DisposeAsync()
    {
        await Imports.DisposeAsync();
        await Maps.DisposeAsync();
        await Accounts.DisposeAsync();
        Directory.Delete(_storage, recursive: true);
    }

    /// <summary>Makes an API access token with the organization's admin's token; returns the new token's value.</summary>
    public async Task<string> CreateTokenAsync(TestOrganization organization, object body)
    {
        using var response = await Accounts.CreateClient(organization.Token).PostAsJsonAsync("/api/v3/tokens", body, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, text);
        return JsonSerializer.Deserialize<JsonElement>(text).GetProperty("token").GetString()!;
    }

    /// <summary>An HTTP client of maps-api with the token, sent as if by a page of <paramref name="origin"/> when given.</summary>
    public HttpClient MapsClient(string token, string? origin = null)
    {
        var client = Maps.CreateClient(token);
        if (origin is not null)
        {
            client.DefaultRequestHeaders.Add("Origin", origin);
        }
        return client;
    }

    public Task<T?> MetadataScalarAsync<T>(string sql) => Databases.MetadataScalarAsync<T>(sql);

    /// <summary>The organization's admin token becomes its first user's: the user's role is the token's.</summary>
    private async Task MakeUserAsync(TestOrganization organization, string email)
    {
        await using var metadata = NpgsqlDataSource.Create(Databases.Metadata);
        await using var command = metadata.CreateCommand("""
            WITH member AS (INSERT INTO users (organization_id, email, role) VALUES ($1, $2, 'admin') RETURNING id)
            UPDATE api_tokens SET user_id = (SELECT id FROM member) WHERE organization_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = organization.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = email });
        await command.ExecuteNonQueryAsync();
    }
}
