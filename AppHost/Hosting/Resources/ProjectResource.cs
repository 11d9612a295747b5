using System.Text.Json;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>One of the platform's .NET services, started from its build output (<c>artifacts/bin/&lt;Project&gt;/</c>).</summary>
public sealed class ProjectResource : ExecutableResource, IResourceWithServiceEndpoint
{
    private readonly OtlpTarget _telemetry;

    public ProjectResource(string name, string projectDirectory, int port, OtlpTarget telemetry) : base(name)
    {
        ProjectDirectory = projectDirectory;
        _telemetry = telemetry;
        Endpoints.Add(new EndpointSpec("http", "http", port, TargetPort: 8080));
    }

    /// <summary>The project's folder, relative to the repository root.</summary>
    public string ProjectDirectory { get; }

    public string ProjectName => Path.GetFileName(ProjectDirectory);

    public Dictionary<string, ReferenceExpression> Environment { get; } = new(StringComparer.Ordinal);

    public override string ResourceType => "project.v0";

    public string AssemblyPath(RunContext context) => RunContext.BuildOutput(context.RepositoryRoot, ProjectName);

    public override Task PrepareAsync(RunContext context, CancellationToken cancellationToken) =>
        File.Exists(AssemblyPath(context))
            ? Task.CompletedTask
            : throw new FileNotFoundException($"{AssemblyPath(context)} is missing: build the solution first (dotnet build {RunContext.SolutionFileName}).");

    public override ProcessSpec CreateProcessSpec(RunContext context)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = Endpoint("http").Url,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["OTEL_SERVICE_NAME"] = Name,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _telemetry.Endpoint,
            // Batches leave every second instead of every five, so a trace shows on the dashboard while one looks.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
        };
        if (_telemetry.Protocol is { } protocol)
        {
            environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol;
        }
        if (_telemetry.Headers is { } headers)
        {
            environment["OTEL_EXPORTER_OTLP_HEADERS"] = headers;
        }
        foreach (var (key, value) in Environment)
        {
            environment[key] = value.Runtime();
        }
        return new ProcessSpec("dotnet", [AssemblyPath(context)], context.InRepository(ProjectDirectory), environment);
    }

    public override Task<HealthState> ProbeAsync(RunContext context, CancellationToken cancellationToken) =>
        Probes.HttpAsync(context, Endpoint("http").Url + "/health", cancellationToken);

    public ProjectResource WithReference(IResourceWithConnectionString resource)
    {
        // The manifest refers to the resource's connection string by name, as Aspire's does.
        Environment[$"ConnectionStrings__{resource.Name}"] = new ReferenceExpression(resource.ConnectionString.Runtime,
            $"{{{resource.Name}.connectionString}}");
        return this;
    }

    public ProjectResource WithReference(IResourceWithEnvironmentReference resource)
    {
        foreach (var (key, value) in resource.ReferenceEnvironment)
        {
            Environment[key] = value;
        }
        return this;
    }

    public ProjectResource WithReference(IResourceWithServiceEndpoint resource)
    {
        var endpoint = resource.Endpoint("http");
        Environment[$"services__{resource.Name}__http__0"] = new ReferenceExpression(() => endpoint.Url,
            $"{{{resource.Name}.bindings.http.url}}");
        return this;
    }

    public ProjectResource WithEnvironment(string key, ParameterResource parameter)
    {
        Environment[key] = parameter.Reference;
        return this;
    }

    public override void WriteManifest(Utf8JsonWriter writer, ManifestContext context)
    {
        writer.WriteString("type", ResourceType);
        writer.WriteString("path", context.RelativePath(Path.Combine(ProjectDirectory, ProjectName + ".csproj")));
        writer.WriteStartObject("env");
        writer.WriteString("OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES", "true");
        writer.WriteString("OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES", "true");
        writer.WriteString("OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY", "in_memory");
        writer.WriteString("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "true");
        writer.WriteString("HTTP_PORTS", $"{{{Name}.bindings.http.targetPort}}");
        foreach (var (key, value) in Environment.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, value.Manifest);
        }
        writer.WriteEndObject();
        ManifestContext.WriteBindings(writer, Endpoints, transport: "http");
    }
}

public static class ProjectResourceBuilderExtensions
{
    public static ProjectResource AddProject(this DistributedApplicationBuilder builder, string name, string projectDirectory) =>
        builder.Add(new ProjectResource(name, projectDirectory, builder.PortFor(name), builder.Telemetry));
}
