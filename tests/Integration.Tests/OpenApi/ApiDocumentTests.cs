extern alias LdsApi;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CartoSelfHosted.AccountsApi.Apis;
using CartoSelfHosted.ImportApi.Imports;
using CartoSelfHosted.MapsApi.Apis;
using CartoSelfHosted.ServiceDefaults.OpenApi;
using CartoSelfHosted.WorkspaceApi.Connections;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CartoSelfHosted.Integration.Tests.OpenApi;

/// <summary>
/// Each API's OpenAPI document, read as anyone would (no token), against the endpoints the API really maps: every one is
/// in it with a summary and described parameters, and every one that needs a token says so.
/// </summary>
public sealed class ApiDocumentTests
{
    /// <summary>The platform's health, whose answer is its health report (a 503 included), not a problem.</summary>
    private const string PublicPlatformHealth = "/api/v3/health";

    [Fact]
    public async Task AccountsApiDocumentsEveryEndpoint()
    {
        await using var api = await ApiFactory<CurrentAccount>.StartAsync("doc_accounts");
        await AssertDocumentsEveryEndpointAsync(api, "accounts-api");
    }

    [Fact]
    public async Task WorkspaceApiDocumentsEveryEndpoint()
    {
        await using var api = await ApiFactory<ConnectionList>.StartAsync("doc_workspace", await ServerSettingsAsync("doc_workspace"));
        await AssertDocumentsEveryEndpointAsync(api, "workspace-api");
    }

    [Fact]
    public async Task MapsApiDocumentsEveryEndpoint()
    {
        await using var api = await ApiFactory<SqlJobView>.StartAsync("doc_maps", await ServerSettingsAsync("doc_maps"));
        await AssertDocumentsEveryEndpointAsync(api, "maps-api");
    }

    [Fact]
    public async Task ImportApiDocumentsEveryEndpoint()
    {
        var storage = Directory.CreateTempSubdirectory("carto-doc-imports-").FullName;
        try
        {
            var settings = await ServerSettingsAsync("doc_imports");
            settings["ConnectionStrings:object-storage"] = storage;
            await using var api = await ApiFactory<ImportJobView>.StartAsync("doc_imports", settings);
            await AssertDocumentsEveryEndpointAsync(api, "import-api");
        }
        finally
        {
            Directory.Delete(storage, recursive: true);
        }
    }

    [Fact]
    public async Task LdsApiDocumentsEveryEndpoint()
    {
        var settings = await ServerSettingsAsync("doc_lds");
        // The document needs no gazetteer, and loading one would only keep the machine busy.
        settings["Gazetteer:LoadAtStart"] = "false";
        await using var api = await ApiFactory<LdsApi::Program>.StartAsync("doc_lds", settings);
        await AssertDocumentsEveryEndpointAsync(api, "lds-api");
    }

    [Fact]
    public async Task TheProblemSchemaHasCartosMembersAndTheBearerSchemeIsHttpBearer()
    {
        await using var api = await ApiFactory<CurrentAccount>.StartAsync("doc_schemes");
        var document = await ReadDocumentAsync(api);

        var components = document.GetProperty("components");
        var bearer = components.GetProperty("securitySchemes").GetProperty(ApiDocument.BearerScheme);
        Assert.Equal("http", bearer.GetProperty("type").GetString());
        Assert.Equal("bearer", bearer.GetProperty("scheme").GetString());
        var problem = components.GetProperty("schemas").GetProperty("ProblemDetails").GetProperty("properties");
        Assert.All(new[] { "type", "title", "status", "detail", "instance", "error", "traceId", "requestId" },
            member => Assert.True(problem.TryGetProperty(member, out _), $"the problem schema has '{member}'"));
        // What a 401 really is: the document's schema of it has every member the answer carries.
        using var unauthorized = await api.CreateClient().GetAsync("/api/v3/accounts/me", TestContext.Current.CancellationToken);
        var answer = await unauthorized.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.All(answer.EnumerateObject(), member => Assert.True(problem.TryGetProperty(member.Name, out _), $"the schema has '{member.Name}'"));
    }

    private static async Task AssertDocumentsEveryEndpointAsync<TMarker>(ApiFactory<TMarker> api, string title) where TMarker : class
    {
        var document = await ReadDocumentAsync(api);
        Assert.Equal(title, document.GetProperty("info").GetProperty("title").GetString());
        var paths = document.GetProperty("paths");

        var mapped = MappedOperations(api.Services).Select(operation => (operation.Method, operation.Path)).ToList();
        // The public ones (platform health, sign-up, sign-in…) need no token, so their operations have no security requirement.
        var anonymous = MappedOperations(api.Services).Where(operation => operation.Anonymous)
            .Select(operation => (operation.Method, operation.Path)).ToHashSet();
        foreach (var (method, path) in mapped)
        {
            Assert.True(paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _),
                $"{method.ToUpperInvariant()} {path} is mapped but not in {title}'s document");
        }

        var documented = paths.EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(operation => (Path: path.Name, Method: operation.Name, Operation: operation.Value)))
            .ToList();
        // And nothing else: the document describes what the API answers.
        Assert.Equal(mapped.Order(), documented.Select(operation => (operation.Method, operation.Path)).Order());
        foreach (var (path, method, operation) in documented)
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            Assert.False(string.IsNullOrWhiteSpace(Text(operation, "summary")), $"{name} has a summary");
            Assert.False(string.IsNullOrWhiteSpace(Text(operation, "description")), $"{name} has a description");
            foreach (var parameter in Items(operation, "parameters"))
            {
                Assert.False(string.IsNullOrWhiteSpace(Text(parameter, "description")), $"{name}'s parameter {Text(parameter, "name")} has a description");
            }
            var responses = operation.GetProperty("responses");
            if (anonymous.Contains((method, path)))
            {
                Assert.False(operation.TryGetProperty("security", out _), $"{name} needs no token");
                if (path == PublicPlatformHealth)
                {
                    continue;
                }
            }
            else
            {
                var security = Assert.Single(operation.GetProperty("security").EnumerateArray());
                Assert.Equal([ApiDocument.BearerScheme], security.EnumerateObject().Select(scheme => scheme.Name));
                Assert.True(responses.TryGetProperty("401", out _), $"{name} documents its 401");
            }
            // Every problem it documents is the platform's problem schema.
            foreach (var response in responses.EnumerateObject().Where(response => response.Name[0] is '4' or '5'))
            {
                var schema = response.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema");
                Assert.Equal("#/components/schemas/ProblemDetails", schema.GetProperty("$ref").GetString());
            }
        }
    }

    /// <summary>Fetched without a token, as the router's reference UI does.</summary>
    private static async Task<JsonElement> ReadDocumentAsync<TMarker>(ApiFactory<TMarker> api) where TMarker : class
    {
        using var response = await api.CreateClient().GetAsync(ApiDocument.Path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Every (method, path) the app routes, as OpenAPI writes paths: parameters by name, without their constraints. Health and
    /// the document itself are the orchestrator's and the reference UI's, not the API's. Anonymous: the endpoint allows callers without a token.
    /// </summary>
    private static IEnumerable<(string Method, string Path, bool Anonymous)> MappedOperations(IServiceProvider services)
    {
        string[] notTheApi = [ServiceDefaultsExtensions.HealthPath, ServiceDefaultsExtensions.AlivePath, ApiDocument.Path];
        return services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not null)
            .Select(endpoint => (Endpoint: endpoint, Path: OpenApiPath(endpoint.RoutePattern)))
            .Where(endpoint => !notTheApi.Contains(endpoint.Path))
            .SelectMany(endpoint => endpoint.Endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods
                .Select(method => (method.ToLowerInvariant(), endpoint.Path, endpoint.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)));
    }

    private static string OpenApiPath(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => $"{{{parameter.Name}}}",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => throw new InvalidOperationException($"a route part of {pattern.RawText} this test does not know"),
        }))));

    /// <summary>What every API but accounts-api needs to start: a warehouse, Redis and a Pub/Sub project of its own.</summary>
    private static async Task<Dictionary<string, string>> ServerSettingsAsync(string purpose) => new()
    {
        ["ConnectionStrings:warehouse"] = await TestServers.CreateDatabaseAsync(purpose + "_dw"),
        ["ConnectionStrings:redis"] = TestServers.Redis,
        ["PUBSUB_EMULATOR_HOST"] = TestServers.PubSubEmulatorHost,
        ["PubSub:ProjectId"] = $"test-{Guid.NewGuid():N}"[..24],
    };

    private static IEnumerable<JsonElement> Items(JsonElement element, string property) =>
        element.TryGetProperty(property, out var array) ? array.EnumerateArray() : [];

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.GetString() : null;
}
