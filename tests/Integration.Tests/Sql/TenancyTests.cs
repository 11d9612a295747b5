using System.Net;
using System.Net.Http.Json;
using CartoSelfHosted.Platform.Warehouse;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Sql;

/// <summary>
/// With organization A's token, nothing reaches organization B: not by qualified name, not by taking another role,
/// not through the server's files or programs, not by planting functions or bending search_path.
/// </summary>
public sealed class TenancyTests(SqlEnvironment environment) : IClassFixture<SqlEnvironment>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("SELECT * FROM {b}.secrets", "permission denied for schema")]
    [InlineData("SELECT pg_read_file('/etc/passwd')", "permission denied for function pg_read_file")]
    [InlineData("SELECT set_config('role', '{bname}', false)", "permission denied to set role")]
    [InlineData("SET SESSION AUTHORIZATION {b}", "permission denied to set session authorization")]
    public async Task AQueryOfACannotReadBOrTheServer(string sql, string message)
    {
        using var client = environment.ClientOf(environment.A);
        var response = await client.GetAsync(SqlQueryApiTests.QueryUrl(Qualify(sql)), Cancellation);

        var problem = await SqlQueryApiTests.AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains(message, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("INSERT INTO {b}.secrets VALUES ('from a')", "permission denied for schema")]
    [InlineData("UPDATE {b}.secrets SET secret = 'from a'", "permission denied for schema")]
    [InlineData("DROP TABLE {b}.secrets", "permission denied for schema")]
    [InlineData("SET ROLE {b}; DELETE FROM {b}.secrets", "permission denied to set role")]
    [InlineData("SET SESSION AUTHORIZATION {b}; DELETE FROM {b}.secrets", "permission denied to set session authorization")]
    [InlineData("RESET ROLE; DELETE FROM {b}.secrets", "permission denied for schema")]
    [InlineData("SET search_path = {b}, public; DELETE FROM secrets", "relation \"secrets\" does not exist")]
    [InlineData("COPY (SELECT 1) TO PROGRAM 'touch /tmp/carto-tenancy-test'", "must be superuser or have privileges of the pg_execute_server_program role")]
    [InlineData("COPY (SELECT 1) TO '/tmp/carto-tenancy-test'", "must be superuser or have privileges of the pg_write_server_files role")]
    [InlineData("CREATE FUNCTION {b}.trap() RETURNS int LANGUAGE sql AS 'SELECT 1'", "permission denied for schema")]
    [InlineData("CREATE FUNCTION public.trap() RETURNS int LANGUAGE sql AS 'SELECT 1'", "permission denied for schema public")]
    [InlineData("GRANT {b} TO {a}", "must have admin option on role")]
    [InlineData("ALTER ROLE {a} SUPERUSER", "must be superuser to alter superuser roles")]
    [InlineData("CREATE EXTENSION dblink", "")]
    public async Task AJobOfACannotWriteBOrEscapeItsRole(string sql, string message)
    {
        var id = await environment.SubmitJobAsync(environment.A, Qualify(sql));

        var job = await environment.WaitForEndAsync(environment.A, id);

        Assert.Equal("failure", job.GetProperty("status").GetString());
        Assert.Contains(message, job.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("b-only", await environment.WarehouseScalarAsync<string>(
            $"SELECT string_agg(secret, ',') FROM \"{environment.B.Schema}\".secrets"));
        Assert.False(File.Exists("/tmp/carto-tenancy-test"));
    }

    [Fact]
    public async Task ASessionOfAIsAAndStaysA()
    {
        var id = await environment.SubmitJobAsync(environment.A,
            "RESET ROLE; CREATE TABLE whoami AS SELECT current_user AS name, session_user AS session, current_setting('search_path') AS path");
        Assert.Equal("success", (await environment.WaitForEndAsync(environment.A, id)).GetProperty("status").GetString());

        using var client = environment.ClientOf(environment.A);
        var row = (await client.GetFromJsonAsync<System.Text.Json.JsonElement>(SqlQueryApiTests.QueryUrl("SELECT * FROM whoami"), Cancellation))
            .GetProperty("rows")[0];
        Assert.Equal(environment.A.Schema, row.GetProperty("name").GetString());
        Assert.Equal(environment.A.Schema, row.GetProperty("session").GetString());
        Assert.Equal($"{environment.A.Schema}, public", row.GetProperty("path").GetString());
    }

    [Fact]
    public async Task AnOrganizationsLoginCannotConnectToTheMetadataDatabase()
    {
        // The password only the platform's services can derive: even with it, the metadata database is closed.
        var administrator = new NpgsqlConnectionStringBuilder(environment.Metadata);
        var login = new NpgsqlConnectionStringBuilder(environment.Metadata)
        {
            Username = environment.A.Schema,
            Password = OrganizationRoles.Password(administrator.Password!, environment.A.Schema),
        };
        await using var connection = new NpgsqlConnection(login.ConnectionString);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync(Cancellation));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);

        // While the same login does reach the warehouse.
        await using var warehouse = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(login.ConnectionString)
        {
            Database = new NpgsqlConnectionStringBuilder(environment.Warehouse).Database,
        }.ConnectionString);
        await warehouse.OpenAsync(Cancellation);
    }

    private string Qualify(string sql) => sql.Replace("{bname}", environment.B.Schema).Replace("{b}", $"\"{environment.B.Schema}\"").Replace("{a}", $"\"{environment.A.Schema}\"");
}
