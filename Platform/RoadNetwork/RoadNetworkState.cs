namespace CartoSelfHosted.Platform.RoadNetwork;

/// <summary>Whether the warehouse's road network can be routed on yet: it is being loaded at the first start, or it failed to load.</summary>
public sealed class RoadNetworkState
{
    private volatile string? _unavailableBecause = "The road network is being loaded into the warehouse.";

    /// <summary>Why routing must wait; null once it can.</summary>
    public string? UnavailableBecause => _unavailableBecause;

    public void Ready() => _unavailableBecause = null;

    public void Failed(string reason) => _unavailableBecause = reason;
}
