using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using CartoSelfHosted.AppHost.Resources;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.AppHost.Tests;

public sealed class ConfigTemplateTests
{
    [Fact]
    public void ReplacesPlaceholdersAndLeavesNginxVariablesAlone()
    {
        var rendered = ConfigTemplate.Render("server ${MAPS_API_HOST}:${MAPS_API_PORT}; log $request_id ${request_time};",
            new Dictionary<string, string> { ["MAPS_API_HOST"] = "127.0.0.1", ["MAPS_API_PORT"] = "15103" });

        Assert.Equal("server 127.0.0.1:15103; log $request_id ${request_time};", rendered);
    }

    [Fact]
    public void APlaceholderWithoutValueIsAnErrorNamingIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            ConfigTemplate.Render("listen ${LISTEN_ADDRESS}; root ${STATIC_ROOT};", new Dictionary<string, string> { ["LISTEN_ADDRESS"] = "x" }));

        Assert.Contains("STATIC_ROOT", error.Message);
    }

    [Theory]
    [InlineData("maps-api", "MAPS_API")]
    [InlineData("http-cache", "HTTP_CACHE")]
    public void PrefixesComeFromResourceNames(string resource, string prefix) =>
        Assert.Equal(prefix, ConfigTemplate.PrefixFor(resource));

    [Fact]
    public async Task TheCacheTemplateRenderedForTwoReplicasOfEachServiceCompiles()
    {
        var text = await File.ReadAllTextAsync(Path.Combine(Repository.Root(), "Web/HttpCache/default.vcl.template"), TestContext.Current.CancellationToken);
        var values = new[] { "MAPS_API", "WORKSPACE_API" }.ToDictionary(prefix => prefix + "_BACKENDS",
            prefix => VarnishResource.Backends(prefix, [("127.0.0.1", 15103), ("127.0.0.1", 16103)]));
        var folder = Directory.CreateTempSubdirectory("carto-vcl-").FullName;
        // varnishd, started as root, reads the VCL as its own user.
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var vcl = Path.Combine(folder, "default.vcl");
        await File.WriteAllTextAsync(vcl, ConfigTemplate.Render(text, values), TestContext.Current.CancellationToken);

        // varnishd -C compiles the VCL (with its vmods) to C and exits: what a start would refuse, it refuses.
        using var varnishd = Process.Start(new ProcessStartInfo("/usr/sbin/varnishd", ["-C", "-f", vcl, "-n", Path.Combine(folder, "work")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = varnishd.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await varnishd.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await varnishd.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(varnishd.ExitCode == 0, error);
        Assert.Contains("maps_api_2", await output + error);
        Directory.Delete(folder, recursive: true);
    }
}
