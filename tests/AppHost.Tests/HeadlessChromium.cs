using Microsoft.Playwright;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>The browser the tests drive: Debian's chromium, headless (Playwright's own download is not reachable here).</summary>
internal static class HeadlessChromium
{
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        // No GPU here: WebGL2, which deck.gl draws with, comes from SwiftShader, which chromium uses only when told.
        Args = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
    });
}
