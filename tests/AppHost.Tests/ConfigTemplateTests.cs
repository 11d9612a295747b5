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
    public void TheCacheTemplateUsesOnlyValuesAppHostProvides()
    {
        var text = File.ReadAllText(Path.Combine(Repository.Root(), "Web/HttpCache/default.vcl.template"));
        var provided = new[] { "MAPS_API_HOST", "MAPS_API_PORT", "WORKSPACE_API_HOST", "WORKSPACE_API_PORT" }
            .ToDictionary(name => name, _ => "value");

        ConfigTemplate.Render(text, provided);
    }
}
