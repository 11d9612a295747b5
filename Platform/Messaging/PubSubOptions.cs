using Microsoft.Extensions.Configuration;

namespace CartoSelfHosted.Platform.Messaging;

/// <summary>Where the broker is: the emulator when <c>PUBSUB_EMULATOR_HOST</c> is set, Google Cloud otherwise.</summary>
public sealed record PubSubOptions(string ProjectId, string? EmulatorHost)
{
    public const string DefaultProjectId = "carto-self-hosted";

    public Uri BaseAddress => EmulatorHost is { Length: > 0 } host
        ? new Uri($"http://{host}/")
        : new Uri("https://pubsub.googleapis.com/");

    public static PubSubOptions FromConfiguration(IConfiguration configuration) => new(
        configuration["PubSub:ProjectId"] is { Length: > 0 } projectId ? projectId : DefaultProjectId,
        configuration["PUBSUB_EMULATOR_HOST"]);
}
