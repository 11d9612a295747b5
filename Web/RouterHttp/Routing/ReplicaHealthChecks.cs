using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;

namespace CartoSelfHosted.RouterHttp.Routing;

/// <summary>
/// Every service's cluster watches its replicas alike: each replica's <c>/alive</c> asked every second, and one that
/// fails twice running (or most of what it is sent) is left out until it answers again. Were every replica left out,
/// all are tried rather than none (HealthyOrPanic): a service slow to answer its probes is better than a 503. The
/// HTTP cache's cluster is one process that the platform restarts, not replicas, and is left alone.
/// </summary>
public sealed class ReplicaHealthChecks : IProxyConfigFilter
{
    private const string CacheCluster = "http-cache";

    private static readonly HealthCheckConfig Watched = new()
    {
        AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyOrPanic,
        Active = new ActiveHealthCheckConfig
        {
            Enabled = true,
            Interval = TimeSpan.FromSeconds(1),
            Timeout = TimeSpan.FromSeconds(2),
            Policy = "ConsecutiveFailures",
            Path = "/alive",
        },
        Passive = new PassiveHealthCheckConfig
        {
            Enabled = true,
            Policy = "TransportFailureRate",
            ReactivationPeriod = TimeSpan.FromSeconds(5),
        },
    };

    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) =>
        ValueTask.FromResult(cluster.ClusterId == CacheCluster || cluster.HealthCheck is not null ? cluster : cluster with { HealthCheck = Watched });

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
