using Aspire.Hosting.ApplicationModel;

namespace CartoSelfHosted.AppHost.Tests;

public sealed class PostgresResourceTests
{
    [Fact]
    public void AFolderBelowOneOthersCannotEnterIsOutOfThePostgresUsersReach()
    {
        var closed = Directory.CreateTempSubdirectory("carto-closed-");
        try
        {
            File.SetUnixFileMode(closed.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var data = Directory.CreateDirectory(Path.Combine(closed.FullName, "data", "postgres"));

            Assert.False(PostgresResourceBuilderExtensions.IsReachableByOthers(data.FullName));
        }
        finally
        {
            closed.Delete(recursive: true);
        }
    }

    [Fact]
    public void AFolderOthersCanEnterAllTheWayDownIsInReach()
    {
        var open = Directory.CreateTempSubdirectory("carto-open-");
        try
        {
            File.SetUnixFileMode(open.FullName, (UnixFileMode)Convert.ToInt32("755", 8));
            var data = Directory.CreateDirectory(Path.Combine(open.FullName, "postgres"));
            File.SetUnixFileMode(data.FullName, (UnixFileMode)Convert.ToInt32("755", 8));

            Assert.True(PostgresResourceBuilderExtensions.IsReachableByOthers(data.FullName));
        }
        finally
        {
            open.Delete(recursive: true);
        }
    }
}
