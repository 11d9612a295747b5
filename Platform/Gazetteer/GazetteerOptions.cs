namespace CartoSelfHosted.Platform.Gazetteer;

/// <summary>The <c>Gazetteer</c> configuration section.</summary>
public sealed class GazetteerOptions
{
    public const string SectionName = "Gazetteer";

    /// <summary>Where the npm packages' files are: by default the folder the build copies them into, beside the assemblies.</summary>
    public string DataDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "gazetteer");

    /// <summary>Whether the service loads the gazetteer at start when the warehouse does not have it (or has an older one).</summary>
    public bool LoadAtStart { get; set; } = true;
}
