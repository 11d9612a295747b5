using System.Diagnostics;
using System.Text.Json;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary><c>aspire-manifest.json</c> is what Aspire's own publisher writes from AppHost, in Aspire's schema.</summary>
public sealed class ManifestTests
{
    [Fact]
    public async Task CommittedManifestIsWhatAspiresPublisherWrites()
    {
        var root = Repository.Root();
        // Written beside the committed one, so that its relative paths are comparable.
        var output = Path.Combine(root, $"aspire-manifest.{Guid.NewGuid():N}.tmp.json");
        try
        {
            var startInfo = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Path.Combine(root, "AppHost"),
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[] { Path.Combine(root, "artifacts", "bin", "AppHost", PlatformProcess.BuildConfiguration, "AppHost.dll"),
                         "--publisher", "manifest", "--output-path", output })
            {
                startInfo.ArgumentList.Add(argument);
            }
            using var process = Process.Start(startInfo)!;
            var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            var said = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(process.ExitCode == 0, await errors + said);

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

    /// <summary>
    /// The rules of Aspire's manifest schema (aspire-8.0.json) for the resource types the platform uses: the schema file
    /// is not on these machines, so its rules are checked here one by one.
    /// </summary>
    [Fact]
    public void EveryResourceFollowsTheSchemaOfItsType()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root(), "aspire-manifest.json")));
        var resources = manifest.RootElement.GetProperty("resources").EnumerateObject().ToDictionary(resource => resource.Name, resource => resource.Value);
        string[] allowed = ["type", "connectionString", "value", "inputs", "path", "command", "workingDirectory", "args", "env", "bindings"];

        foreach (var (name, resource) in resources)
        {
            var properties = resource.EnumerateObject().Select(property => property.Name).ToList();
            Assert.All(properties, property => Assert.Contains(property, allowed));
            switch (resource.GetProperty("type").GetString())
            {
                case "project.v0":
                    Assert.EndsWith(".csproj", resource.GetProperty("path").GetString());
                    break;
                case "executable.v0":
                    Assert.Equal(JsonValueKind.String, resource.GetProperty("command").ValueKind);
                    Assert.Equal(JsonValueKind.String, resource.GetProperty("workingDirectory").ValueKind);
                    break;
                case "parameter.v0":
                    Assert.Equal(JsonValueKind.String, resource.GetProperty("value").ValueKind);
                    Assert.Equal(JsonValueKind.Object, resource.GetProperty("inputs").ValueKind);
                    break;
                case "value.v0":
                    // A value has a connection string or a value, and no inputs of its own: those belong to parameters.
                    Assert.DoesNotContain("inputs", properties);
                    Assert.True(properties.Contains("connectionString") || properties.Contains("value"), name);
                    break;
                default:
                    Assert.Fail($"{name} has a type the platform does not use");
                    break;
            }
            // Every reference names a resource of the manifest.
            foreach (var reference in System.Text.RegularExpressions.Regex.Matches(resource.GetRawText(), @"\{([a-z0-9-]+)\.").Select(match => match.Groups[1].Value))
            {
                Assert.True(resources.ContainsKey(reference), $"{name} refers to {reference}, which the manifest does not declare");
            }
        }

        foreach (var project in PlatformUnderTest.Services.Append("router-http"))
        {
            Assert.Equal("project.v0", resources[project].GetProperty("type").GetString());
        }
        foreach (var server in new[] { "postgres", "redis", "pubsub", "http-cache" })
        {
            Assert.Equal("executable.v0", resources[server].GetProperty("type").GetString());
        }
        Assert.Equal("value.v0", resources["metadata"].GetProperty("type").GetString());
        // Secrets are named, never written.
        Assert.DoesNotContain("cst_", manifest.RootElement.GetRawText());
        // What is deployed is no development installation: no development token, and .NET's default environment (Production).
        Assert.DoesNotContain("dev-token", resources.Keys);
        Assert.DoesNotContain("BootstrapToken", manifest.RootElement.GetRawText());
        Assert.DoesNotContain("DOTNET_ENVIRONMENT", manifest.RootElement.GetRawText());
    }
}
