using System.Text.Json;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>What resources need to write themselves into Aspire's manifest: paths relative to the manifest's folder.</summary>
public sealed class ManifestContext(string repositoryRoot, string manifestDirectory)
{
    public string RelativePath(string repositoryRelativePath) =>
        Path.GetRelativePath(manifestDirectory, Path.Combine(repositoryRoot, repositoryRelativePath)).Replace('\\', '/');

    public void WriteBindMount(Utf8JsonWriter writer, string repositoryRelativeSource, string target)
    {
        writer.WriteStartArray("bindMounts");
        writer.WriteStartObject();
        writer.WriteString("source", RelativePath(repositoryRelativeSource));
        writer.WriteString("target", target);
        writer.WriteBoolean("readOnly", true);
        writer.WriteEndObject();
        writer.WriteEndArray();
    }

    public static void WriteBindings(Utf8JsonWriter writer, IEnumerable<EndpointSpec> endpoints, string transport)
    {
        writer.WriteStartObject("bindings");
        foreach (var endpoint in endpoints)
        {
            writer.WriteStartObject(endpoint.Name);
            writer.WriteString("scheme", endpoint.Scheme);
            writer.WriteString("protocol", "tcp");
            writer.WriteString("transport", transport);
            writer.WriteNumber("targetPort", endpoint.TargetPort);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }
}

/// <summary>Writes the model in Aspire's manifest format, as <c>--publisher manifest --output-path FILE</c> asks.</summary>
public static class ManifestPublisher
{
    public const string Schema = "https://json.schemastore.org/aspire-8.0.json";

    public static void Publish(DistributedApplicationModel model, string repositoryRoot, string outputPath)
    {
        var fullPath = Path.GetFullPath(outputPath);
        var context = new ManifestContext(repositoryRoot, Path.GetDirectoryName(fullPath)!);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("$schema", Schema);
            writer.WriteStartObject("resources");
            foreach (var resource in model.Resources)
            {
                writer.WriteStartObject(resource.Name);
                resource.WriteManifest(writer, context);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        File.WriteAllBytes(fullPath, stream.ToArray());
        Console.WriteLine($"Published manifest to: {fullPath}");
    }
}
