using System.Diagnostics;
using CartoSelfHosted.AppHost.Hosting;

namespace CartoSelfHosted.Platform.Tests;

public sealed class ManifestTests
{
    [Fact]
    public async Task CommittedManifestIsWhatAppHostWrites()
    {
        var root = RunContext.FindRepositoryRoot();
        // Written beside the committed one, so that its relative paths are comparable.
        var output = Path.Combine(root, $"aspire-manifest.{Guid.NewGuid():N}.tmp.json");
        try
        {
            var startInfo = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[] { RunContext.BuildOutput(root, "AppHost"),
                         "--publisher", "manifest", "--output-path", output })
            {
                startInfo.ArgumentList.Add(argument);
            }
            using var process = Process.Start(startInfo)!;
            var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(process.ExitCode == 0, await errors);

            var written = await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken);
            var committed = await File.ReadAllTextAsync(Path.Combine(root, "aspire-manifest.json"), TestContext.Current.CancellationToken);
            Assert.True(committed == written,
                "aspire-manifest.json is out of date: run `dotnet run --project AppHost -- --publisher manifest --output-path ../aspire-manifest.json`");
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void ManifestNamesEveryResourceOnceWithAspireTypes()
    {
        var root = RunContext.FindRepositoryRoot();
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "aspire-manifest.json")));
        var resources = manifest.RootElement.GetProperty("resources").EnumerateObject()
            .ToDictionary(resource => resource.Name, resource => resource.Value.GetProperty("type").GetString());

        foreach (var project in new[] { "accounts-api", "workspace-api", "maps-api", "import-api", "lds-api", "import-worker", "sql-worker",
                     "workspace-subscriber", "cdn-invalidator" })
        {
            Assert.Equal("project.v0", resources[project]);
        }
        foreach (var container in new[] { "postgres", "redis", "pubsub", "http-cache", "router-http" })
        {
            Assert.Equal("container.v0", resources[container]);
        }
        Assert.Equal("parameter.v0", resources["postgres-password"]);
        Assert.Equal("parameter.v0", resources["dev-token"]);
        Assert.Equal("value.v0", resources["metadata"]);
        Assert.Equal("value.v0", resources["warehouse"]);
        // Secrets are named, never written.
        Assert.DoesNotContain("cst_", File.ReadAllText(Path.Combine(root, "aspire-manifest.json")));
    }
}
