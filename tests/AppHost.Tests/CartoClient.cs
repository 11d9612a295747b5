using System.Diagnostics;
using System.Text.Json;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>CARTO's own JS client (<c>@carto/api-client</c>), driven by the Node scripts of <c>CartoClient/</c> against the router.</summary>
public static class CartoClient
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Runs the script with the router as <c>CARTO_API_BASE_URL</c> and <paramref name="token"/> as <c>CARTO_TOKEN</c> (none when
    /// null, as a public map's page has none); returns the JSON it printed.
    /// </summary>
    public static async Task<JsonElement> RunAsync(PlatformUnderTest platform, string script, string? token,
        params (string Name, string Value)[] environment)
    {
        var cancellation = TestContext.Current.CancellationToken;
        var start = new ProcessStartInfo("node", script)
        {
            WorkingDirectory = Path.Combine(Repository.Root(), "tests", "AppHost.Tests", "CartoClient"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["CARTO_API_BASE_URL"] = new Uri(platform.Router, "/api").ToString() },
        };
        if (token is not null)
        {
            start.Environment["CARTO_TOKEN"] = token;
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellation);
        var errors = process.StandardError.ReadToEndAsync(cancellation);
        await process.WaitForExitAsync(cancellation).WaitAsync(Patience, cancellation);
        Assert.True(process.ExitCode == 0, $"@carto/api-client failed: {await errors}{await output}");
        return JsonDocument.Parse(await output).RootElement;
    }
}
