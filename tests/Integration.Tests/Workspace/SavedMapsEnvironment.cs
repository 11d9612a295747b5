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
    /// <summary>
    /// The test classes that share one environment, and so one workspace-api: two starting at once on two warehouses of one
    /// PostgreSQL would both alter the cluster-wide role <c>org_default</c> (WarehouseProvisioner), which PostgreSQL refuses
    /// as "tuple concurrently updated".
    /// </summary>
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
        Owner = await PersonAsync(Databases.A.Id, "owner@a.example.com", PlatformRoles.Editor);
        Colleague = await PersonAsync(Databases.A.Id, "colleague@a.example.com", PlatformRoles.Editor);
        Viewer = await PersonAsync(Databases.A.Id, "viewer@a.example.com", PlatformRoles.Viewer);
        Admin = await PersonAsync(Databases.A.Id, "admin@a.example.com", PlatformRoles.Admin);
        Stranger = await PersonAsync(Databases.B.Id, "stranger@b.example.com", PlatformRoles.Editor);

        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:metadata"] = Databases.Metadata,
            ["ConnectionStrings:warehouse"] = Databases.Warehouse,
            ["ConnectionStrings:redis"] = TestServers.Redis,
            ["PUBSUB_EMULATOR_HOST"] = TestServers.PubSubEmulatorHost,
            ["PubSub:ProjectId"] = $"test-{Guid.NewGuid():N}"[..24],
        };
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

    /// <summary>A user of the organization with the role, and a token of theirs, as a sign-in makes one.</summary>
    private async Task<Person> PersonAsync(Guid organizationId, string email, string role)
    {
        var token = ApiTokens.Generate();
        await using var metadata = NpgsqlDataSource.Create(Databases.Metadata);
        await using var command = metadata.CreateCommand("""
            WITH member AS (INSERT INTO users (organization_id, email, role) VALUES ($1, $2, $3) RETURNING id)
            INSERT INTO api_tokens (organization_id, user_id, name, token_hash) SELECT $1, id, 'sign-in', $4 FROM member RETURNING user_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = email });
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        command.Parameters.Add(new NpgsqlParameter { Value = ApiTokens.Hash(token) });
        return new Person(email, (Guid)(await command.ExecuteScalarAsync())!, token);
    }
}

/// <summary>A user of the tests, and their token.</summary>
public sealed record Person(string Email, Guid Id, string Token)
{
    public override string ToString() => Email;
}

[CollectionDefinition(SavedMapsEnvironment.Collection)]
public sealed class SavedMapsCollection : ICollectionFixture<SavedMapsEnvironment>;
