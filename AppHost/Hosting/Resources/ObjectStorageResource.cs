using System.Text.Json;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// The platform's object storage, where uploads wait for their worker: a local folder under the data folder
/// (<c>.data/&lt;name&gt;</c>). Its connection string is the folder; in the manifest it is an input, so a deployment
/// names its own volume.
/// </summary>
public sealed class ObjectStorageResource(string name, RunContext context) : Resource(name), IResourceWithConnectionString
{
    public override string ResourceType => "value.v0";

    public ReferenceExpression ConnectionString => new(() => context.ResourceDirectory(Name), $"{{{Name}.connectionString}}");

    public override void WriteManifest(Utf8JsonWriter writer, ManifestContext context)
    {
        writer.WriteString("type", ResourceType);
        writer.WriteString("connectionString", $"{{{Name}.inputs.folder}}");
        writer.WriteStartObject("inputs");
        writer.WriteStartObject("folder");
        writer.WriteString("type", "string");
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}

public static class ObjectStorageResourceBuilderExtensions
{
    public static ObjectStorageResource AddObjectStorage(this DistributedApplicationBuilder builder, string name) =>
        builder.Add(new ObjectStorageResource(name, builder.Context));
}
