using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.WorkspaceApi.Maps;

/// <summary>A saved map's privacy: who may read it.</summary>
public static class MapPrivacy
{
    /// <summary>Its owner (and its organization's admins, who manage what the organization's users own).</summary>
    public const string Private = "private";

    /// <summary>Every user of its owner's organization.</summary>
    public const string Organization = "organization";

    /// <summary>Anyone with the link, without a token, through <c>GET /api/v3/maps/public/{id}</c>.</summary>
    public const string Public = "public";

    public static readonly IReadOnlyList<string> All = [Private, Organization, Public];
}

/// <summary>
/// The body of a new map or of a change (members left out stay as they are). <see cref="Datasets"/> and
/// <see cref="KeplerMapConfig"/> are kept as sent: CARTO's clients read more of them than the checks look at.
/// </summary>
public sealed record MapBody(
    [property: Description("The map's name.")] string? Title = null,
    [property: Description("What the map shows; an empty string clears it.")] string? Description = null,
    [property: Description("private (the owner), organization (its users) or public (anyone with the link).")] string? Privacy = null,
    [property: Description("CARTO's datasets: [{id, type: table|query, source, connectionName, geoColumn?, columns?, aggregationExp?, queryParameters?, …}].")]
    JsonElement? Datasets = null,
    [property: Description("CARTO's keplerMapConfig, version v1: {version, config: {visState: {layers, interactionConfig?, layerBlending?}, mapState, mapStyle, filters?}}.")]
    JsonElement? KeplerMapConfig = null);

/// <summary>The body of a copy: its title, by default the original's with " (copy)".</summary>
public sealed record MapCopyBody([property: Description("The copy's title.")] string? Title = null);

/// <summary>What a map reads: one source on one connection, as fetchMap instantiates it.</summary>
public sealed record MapDataset(string Id, string Type, string Source, string ConnectionName)
{
    public SourceGrant Grant => new(ConnectionName, Source);
}

/// <summary>A saved map as CARTO's clients read it (fetchMap's shape), with its owner and privacy.</summary>
public sealed record MapView(
    Guid Id, string Title, string? Description, string Privacy, Guid OwnerId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    JsonElement Datasets, JsonElement KeplerMapConfig,
    [property: Description("Datasets whose table was dropped since the map was saved, each with why; empty while every one is there.")]
    IReadOnlyList<BrokenDataset> BrokenDatasets,
    [property: Description("A public map's API access token, granted exactly its datasets' sources; absent for any other map.")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Token = null);

/// <summary>A dataset of a saved map that no longer reads: its id in the map, why, and since when.</summary>
public sealed record BrokenDataset(string Id, string Reason, DateTimeOffset Since);

/// <summary>A map in a listing: what it is, not what it holds.</summary>
public sealed record MapSummary(Guid Id, string Title, string? Description, string Privacy, Guid OwnerId, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record MapList(IReadOnlyList<MapSummary> Maps, int Page, int PageSize, long Total);

/// <summary>
/// The checks of a map's body: what fetchMap of <c>@carto/api-client</c> needs to open the map (CARTO-API.md §3.2) and what
/// this platform serves. Each refusal names the member and what it must be.
/// </summary>
public static class MapDocuments
{
    public const int MaxTitleLength = 200;
    public const int MaxDescriptionLength = 5_000;
    public const int MaxDatasets = 100;
    public const int MaxConnectionNameLength = 128;

    // A query dataset's source is granted as its exact text: as long as a token's grant may be.
    public const int MaxSourceLength = 100_000;

    /// <summary>The dataset types this platform instantiates (fetchMap would send tileset and raster to endpoints it has not).</summary>
    public static readonly IReadOnlyList<string> DatasetTypes = ["table", "query"];

    /// <summary>Layer types fetchMap refuses as "Outdated layer type".</summary>
    public static readonly IReadOnlyList<string> OutdatedLayerTypes = ["geojson", "grid", "heatmap", "hexagon", "hexagonId", "point"];

    /// <summary>What a new map without a configuration gets: a v1 configuration with no layer, which fetchMap opens.</summary>
    public static JsonElement EmptyKeplerMapConfig { get; } = JsonSerializer.SerializeToElement(new
    {
        version = "v1",
        config = new
        {
            visState = new { layers = Array.Empty<object>(), interactionConfig = new { tooltip = new { enabled = true, fieldsToShow = new { } } } },
            mapState = new { latitude = 0, longitude = 0, zoom = 1, pitch = 0, bearing = 0 },
            mapStyle = new { styleType = "positron" },
        },
    });

    public static JsonElement NoDatasets { get; } = JsonSerializer.SerializeToElement(Array.Empty<object>());

    public static IResult? CheckTitle(string? title) =>
        title is not null && (string.IsNullOrWhiteSpace(title) || title.Length > MaxTitleLength)
            ? Invalid("Invalid title", $"title is a name of 1 to {MaxTitleLength} characters.")
            : null;

    public static IResult? CheckDescription(string? description) =>
        description is { Length: > MaxDescriptionLength }
            ? Invalid("Invalid description", $"description has at most {MaxDescriptionLength} characters.")
            : null;

    public static IResult? CheckPrivacy(string? privacy) =>
        privacy is not null && !MapPrivacy.All.Contains(privacy)
            ? Invalid("Invalid privacy", $"privacy is one of: {string.Join(", ", MapPrivacy.All)}.")
            : null;

    /// <summary>The datasets, read from CARTO's array; or the problem that says what is wrong with it.</summary>
    public static (IReadOnlyList<MapDataset>? Datasets, IResult? Problem) ReadDatasets(JsonElement datasets)
    {
        if (datasets.ValueKind != JsonValueKind.Array || datasets.GetArrayLength() > MaxDatasets)
        {
            return (null, Invalid("Invalid datasets", $"datasets is a list of at most {MaxDatasets} datasets."));
        }
        var read = new List<MapDataset>();
        foreach (var dataset in datasets.EnumerateArray())
        {
            if (dataset.ValueKind != JsonValueKind.Object
                || String(dataset, "id") is not { Length: > 0 } id
                || String(dataset, "type") is not { } type
                || String(dataset, "source") is not { Length: > 0 and <= MaxSourceLength } source || string.IsNullOrWhiteSpace(source)
                || String(dataset, "connectionName") is not { Length: > 0 and <= MaxConnectionNameLength } connectionName)
            {
                return (null, Invalid("Invalid dataset", "Each dataset is {id, type, source, connectionName, …}: a non-empty id, a type, " +
                    $"a table name or an SQL query of at most {MaxSourceLength} characters, and the name of the connection it is on."));
            }
            if (!DatasetTypes.Contains(type))
            {
                return (null, Invalid("Invalid dataset type",
                    $"Dataset '{id}' is of type '{type}': this platform serves datasets of type {string.Join(" or ", DatasetTypes)}."));
            }
            if (read.Any(other => other.Id == id))
            {
                return (null, Invalid("Duplicate dataset id", $"Two datasets have the id '{id}': layers name their dataset by it."));
            }
            read.Add(new MapDataset(id, type, source, connectionName));
        }
        return (read, null);
    }

    /// <summary>
    /// The problem with a keplerMapConfig that fetchMap could not open: not version v1, a layer without <c>config.visConfig</c>
    /// or <c>visualChannels</c> or of an outdated type, an <c>interactionConfig</c> without <c>tooltip</c>. Which datasets its layers name is
    /// <see cref="CheckLayerDatasets"/>'s to say.
    /// </summary>
    public static IResult? CheckKeplerMapConfig(JsonElement kepler)
    {
        if (kepler.ValueKind != JsonValueKind.Object || String(kepler, "version") != "v1")
        {
            return Invalid("Invalid keplerMapConfig", "keplerMapConfig is CARTO's map configuration with version \"v1\": fetchMap opens no other.");
        }
        if (!kepler.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object
            || !config.TryGetProperty("visState", out var visState) || visState.ValueKind != JsonValueKind.Object
            || !visState.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
        {
            return Invalid("Invalid keplerMapConfig", "keplerMapConfig.config.visState.layers is the map's list of layers (it may be empty).");
        }
        if (visState.TryGetProperty("interactionConfig", out var interaction) && interaction.ValueKind != JsonValueKind.Null
            && (interaction.ValueKind != JsonValueKind.Object || !interaction.TryGetProperty("tooltip", out var tooltip)
                || tooltip.ValueKind != JsonValueKind.Object))
        {
            return Invalid("Invalid interactionConfig", "keplerMapConfig.config.visState.interactionConfig, when given, has a tooltip object: fetchMap reads it.");
        }
        foreach (var layer in layers.EnumerateArray())
        {
            if (layer.ValueKind != JsonValueKind.Object || String(layer, "type") is not { Length: > 0 } type)
            {
                return Invalid("Invalid layer", "Each layer is {id, type, config: {dataId, visConfig, …}, visualChannels}.");
            }
            if (OutdatedLayerTypes.Contains(type))
            {
                return Invalid("Outdated layer type", $"Layers of type '{type}' are outdated: fetchMap refuses them " +
                    $"({string.Join(", ", OutdatedLayerTypes)}); use mvt, tileset, h3, quadbin, heatmapTile, clusterTile or raster.");
            }
            if (!layer.TryGetProperty("config", out var layerConfig) || layerConfig.ValueKind != JsonValueKind.Object
                || !layerConfig.TryGetProperty("visConfig", out var visConfig) || visConfig.ValueKind != JsonValueKind.Object
                || String(layerConfig, "dataId") is not { Length: > 0 })
            {
                return Invalid("Invalid layer", $"A layer of type '{type}' lacks config.dataId (the id of its dataset) or config.visConfig " +
                    "(its style), which fetchMap reads for every layer.");
            }
            if (!layer.TryGetProperty("visualChannels", out var channels) || channels.ValueKind != JsonValueKind.Object)
            {
                return Invalid("Invalid layer", $"A layer of type '{type}' lacks visualChannels (an object, {{}} when no field styles it): " +
                    "fetchMap lists its channels for every layer.");
            }
        }
        return null;
    }

    /// <summary>The id of the first dataset a layer of the (checked) configuration names that <paramref name="datasets"/> lacks.</summary>
    private static string? MissingLayerDataset(JsonElement kepler, IReadOnlyList<MapDataset> datasets) =>
        kepler.GetProperty("config").GetProperty("visState").GetProperty("layers").EnumerateArray()
            .Select(layer => layer.GetProperty("config").GetProperty("dataId").GetString()!)
            .FirstOrDefault(dataId => datasets.All(dataset => dataset.Id != dataId));

    /// <summary>
    /// The problem with layers that name a dataset the map does not have: fetchMap would drop them. A 400 when the body
    /// brought both, a 409 when one of them is the map's as it is (a change that removes a dataset its layers use).
    /// </summary>
    public static IResult? CheckLayerDatasets(JsonElement kepler, IReadOnlyList<MapDataset> datasets, bool bothFromTheBody)
    {
        if (MissingLayerDataset(kepler, datasets) is not { } missing)
        {
            return null;
        }
        const string Title = "Layer without its dataset";
        var detail = $"A layer's config.dataId is '{missing}', which no dataset of the map has: each layer names one of the map's datasets.";
        return bothFromTheBody
            ? Invalid(Title, detail)
            : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: Title, type: ProblemTypes.Conflict,
                detail: detail + " Change the layers and the datasets together.");
    }

    /// <summary>The sources a public map's token is granted: exactly its datasets', each once.</summary>
    public static IReadOnlyList<SourceGrant> Grants(IReadOnlyList<MapDataset> datasets) =>
        datasets.DistinctBy(dataset => (dataset.ConnectionName, dataset.Source)).Select(dataset => dataset.Grant).ToList();

    /// <summary>Whether two lists of datasets read the same sources (what a public map's token is granted).</summary>
    public static bool SameSources(IReadOnlyList<MapDataset> left, IReadOnlyList<MapDataset> right) =>
        left.Select(dataset => (dataset.ConnectionName, dataset.Source)).ToHashSet()
            .SetEquals(right.Select(dataset => (dataset.ConnectionName, dataset.Source)));

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IResult Invalid(string title, string detail) => ProblemResults.BadRequest(title, detail);
}
