namespace CartoSelfHosted.Platform.Gazetteer;

/// <summary>Whether the warehouse's gazetteer can be searched yet: it is being loaded at the first start, or it failed to load.</summary>
public sealed class GazetteerState
{
    private volatile string? _unavailableBecause = "The gazetteer is being loaded into the warehouse.";

    public bool IsReady => _unavailableBecause is null;

    /// <summary>Why it cannot be searched; null once it can.</summary>
    public string? UnavailableBecause => _unavailableBecause;

    public void Ready() => _unavailableBecause = null;

    public void Failed(string reason) => _unavailableBecause = reason;
}
