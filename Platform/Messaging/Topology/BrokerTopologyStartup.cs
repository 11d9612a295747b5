using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartoSelfHosted.Platform.Messaging.Topology;

/// <summary>Creates the broker's topology at start, in the background, retrying until the broker answers.</summary>
internal sealed class BrokerTopologyStartup(IMessageBroker broker, ILogger<BrokerTopologyStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await broker.EnsureTopologyAsync(stoppingToken);
                return;
            }
            catch (Exception ex) when (broker.IsFailedCall(ex))
            {
                var delay = Backoff.Delay(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
                logger.LogWarning("The broker ({Broker}) is not reachable yet ({Reason}); trying again in {Delay} s", broker.Name,
                    ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
            }
        }
    }
}
