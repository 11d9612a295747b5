using System.Net.Http.Json;
using CartoSelfHosted.MapsApi.Apis;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.WorkspaceApi.Connections;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Workspace;

/// <summary>
/// workspace-api and maps-api in process on one metadata database and warehouse, with two organizations
/// (<see cref="TenantDatabases"/>) and a user's token for each person the tests need: in A, a map's owner (an editor), a
/// colleague who edits too, a viewer and an admin; in B, a stranger (an editor). A has the tables <c>cities</c> and
/// <c>roads</c>.
/// </summary>
public sealed class SavedMapsEnvironment : IAsyncLifetime
{
    /// <summary>The test classes that share one environment (and so one workspace-api and maps-api, which take a while to start).</summary>
    public const string Collection = "saved maps";

    public const string BigCitiesQuery = "SELECT * FROM cities WHERE population > 1000000";

    public TenantDatabases Databases { get; private set; } = null!;

    public ApiFactory<ConnectionList> Workspace { get; private set; } = null!;

    public ApiFactory<SqlJobView> Maps { get; private set; } = null!;

    public Person Owner { get; private set; } = null!;

    public Person Colleague { get; private set; } = null!;

    public Person Viewer { get; private set; } = null!;

    public Person Admin { get; private set; } = null!;

    public Person Stranger { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Databases = await TenantDatabases.CreateAsync("saved_maps");
        await Databases.AsOrganizationAsync(Databases.A, """
            CREATE TABLE cities (name text, population int, geom geometry(Point, 4326));
            INSERT INTO cities VALUES ('Lisbon', 545000, 'SRID=4326;POINT(-9.14 38.72)'), ('Madrid', 3300000, 'SRID=4326;POINT(-3.7 40.42)'),
                ('Quito', 2800000, 'SRID=4326;POINT(-78.47 -0.18)');
            CREATE TABLE roads (name text, geom geometry(LineString, 4326));
            INSERT INTO roads VALUES ('A1', 'SRID=4326;LINESTRING(-9 38, -8 41)');
            """);
        Owner = await Databases.AddUserAsync(Databases.A, "owner@a.example.com", PlatformRoles.Editor);
        Colleague = await Databases.AddUserAsync(Databases.A, "colleague@a.example.com", PlatformRoles.Editor);
        Viewer = await Databases.AddUserAsync(Databases.A, "viewer@a.example.com", PlatformRoles.Viewer);
        Admin = await Databases.AddUserAsync(Databases.A, "admin@a.example.com", PlatformRoles.Admin);
        Stranger = await Databases.AddUserAsync(Databases.B, "stranger@b.example.com", PlatformRoles.Editor);

        var settings = Databases.PlatformSettings();
        Workspace = await ApiFactory<ConnectionList>.StartAsync("saved_maps_workspace", settings);
        Maps = await ApiFactory<SqlJobView>.StartAsync("saved_maps_maps", settings);
    }

    public async ValueTask DisposeAsync()
    {
        await Maps.DisposeAsync();
        await Workspace.DisposeAsync();
    }

    /// <summary>workspace-api, as <paramref name="person"/> (null: nobody, without a token).</summary>
    public HttpClient WorkspaceClient(Person? person) => person is null ? Workspace.CreateClient() : Workspace.CreateClient(person.Token);

    /// <summary>Saves the map as <paramref name="person"/>; returns what the API answered.</summary>
    public async Task<System.Text.Json.JsonElement> SaveAsync(Person person, object body)
    {
        using var client = WorkspaceClient(person);
        using var response = await client.PostAsJsonAsync("/api/v3/maps", body, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, text);
        return System.Text.Json.JsonDocument.Parse(text).RootElement;
    }

    public Task<T?> MetadataScalarAsync<T>(string sql) => Databases.MetadataScalarAsync<T>(sql);
}

[CollectionDefinition(SavedMapsEnvironment.Collection)]
public sealed class SavedMapsCollection : ICollectionFixture<SavedMapsEnvironment>;
