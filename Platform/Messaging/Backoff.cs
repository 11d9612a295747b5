namespace CartoSelfHosted.Platform.Messaging;

/// <summary>Waits that double from <c>first</c> on each attempt, up to <c>max</c>.</summary>
internal static class Backoff
{
    public static TimeSpan Delay(int attempt, TimeSpan first, TimeSpan max)
    {
        var delay = first * Math.Pow(2, Math.Clamp(attempt - 1, 0, 20));
        return delay < max ? delay : max;
    }
}
