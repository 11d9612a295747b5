using System.Globalization;
using CartoSelfHosted.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>A web site of the test's own on a free loopback port: an origin other than the router's, as CARTO's users' apps are.</summary>
internal sealed class LoopbackSite(WebApplication app, string origin) : IAsyncDisposable
{
    public string Origin { get; } = origin;

    /// <summary>Starts a site whose endpoints <paramref name="map"/> adds.</summary>
    public static async Task<LoopbackSite> StartAsync(Action<WebApplication> map)
    {
        var origin = $"http://127.0.0.1:{LoopbackPorts.Free().ToString(CultureInfo.InvariantCulture)}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(origin);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new LoopbackSite(app, origin);
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
