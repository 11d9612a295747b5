using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CartoSelfHosted.AppHost.Hosting;

public sealed record ResourceView(
    string Name, string Type, string State, string Health, int? Pid, IReadOnlyList<string> Endpoints, int Restarts,
    int? LastExitCode, DateTimeOffset? StartedAt, string? Error, string? Parent);

/// <summary>The dashboard: one page, and the JSON it polls (resources, console output) plus stop/start/restart.</summary>
public static class DashboardApi
{
    private static readonly string Page = ReadPage();

    /// <summary>
    /// Actions need this header. A browser sends a custom header cross-origin only after a CORS preflight, which the
    /// dashboard never grants, so no other web page can make the visitor's browser stop the platform.
    /// </summary>
    public const string ActionHeader = "X-Dashboard-Action";

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Content(Page, "text/html; charset=utf-8"));
        var api = app.MapGroup("/api/resources");
        api.MapGet("/", ListResources);
        api.MapGet("/{name}/logs", GetLogs);
        api.MapPost("/{name}/stop", async (HttpContext context, string name, Orchestrator orchestrator) =>
            await ActAsync(context, orchestrator, name, runner => runner.RequestStopAsync()));
        api.MapPost("/{name}/start", async (HttpContext context, string name, Orchestrator orchestrator) =>
            await ActAsync(context, orchestrator, name, runner =>
            {
                runner.RequestStart();
                return Task.CompletedTask;
            }));
        api.MapPost("/{name}/restart", async (HttpContext context, string name, Orchestrator orchestrator) =>
            await ActAsync(context, orchestrator, name, runner => runner.RequestRestartAsync()));
        app.MapGet("/api/messaging", (IServiceProvider services, CancellationToken cancellationToken) =>
            services.GetService<MessagingView>() is { } view ? view.GetAsync(cancellationToken) : Task.FromResult(Results.NotFound()));
        return app;
    }

    public static IReadOnlyList<ResourceView> ListResources(DistributedApplicationModel model, Orchestrator orchestrator) =>
        // Parameters and the object-storage folder are configuration, not something that runs.
        model.Resources.Where(resource => resource is not (ParameterResource or ObjectStorageResource)).Select(resource =>
        {
            if (orchestrator.Runners.TryGetValue(resource, out var runner))
            {
                return new ResourceView(resource.Name, resource.ResourceType, runner.State, runner.Health.ToString(), runner.ProcessId,
                    resource.Endpoints.Select(endpoint => endpoint.Url).ToList(), runner.Restarts, runner.LastExitCode,
                    runner.StartedAt, runner.Error, null);
            }
            // A database lives and dies with its server; anything else without a process of its own is only declared.
            if (resource is PostgresDatabaseResource { Server: var server } && orchestrator.Runners.TryGetValue(server, out var serverRunner))
            {
                return new ResourceView(resource.Name, resource.ResourceType, serverRunner.State, serverRunner.Health.ToString(),
                    serverRunner.ProcessId, [], 0, null, serverRunner.StartedAt, null, server.Name);
            }
            return new ResourceView(resource.Name, resource.ResourceType, "declared", nameof(HealthState.Unknown), null, [], 0, null,
                null, null, null);
        }).ToList();

    public static IResult GetLogs(string name, Orchestrator orchestrator, long after = 0, int limit = 1000) =>
        orchestrator.Find(name) is { } runner
            ? Results.Ok(runner.Logs.After(after, Math.Clamp(limit, 1, 5000)))
            : Results.NotFound();

    private static async Task<IResult> ActAsync(HttpContext context, Orchestrator orchestrator, string name, Func<ResourceRunner, Task> action)
    {
        if (!context.Request.Headers.ContainsKey(ActionHeader))
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: $"Dashboard actions need the {ActionHeader} header.");
        }
        if (orchestrator.Find(name) is not { } runner)
        {
            return Results.NotFound();
        }
        await action(runner);
        return Results.Accepted();
    }

    private static string ReadPage()
    {
        using var stream = typeof(DashboardApi).Assembly.GetManifestResourceStream("dashboard.html")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
