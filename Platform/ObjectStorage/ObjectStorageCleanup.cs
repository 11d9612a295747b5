using Microsoft.Extensions.Logging;

namespace CartoSelfHosted.Platform.ObjectStorage;

public static class ObjectStorageCleanup
{
    /// <summary>
    /// Deletes <paramref name="key"/> and what is under it as clean-up, after a failure or once a job has ended: even when
    /// the request was cancelled, and without throwing when the store fails then (it is logged), so that the failure
    /// being cleaned up after, or the job's recorded end, stands. What the store kept is removed by the next clean-up.
    /// </summary>
    public static async Task DeleteOrWarnAsync(this IObjectStorage storage, string key, ILogger logger)
    {
        try
        {
            await storage.DeleteAsync(key, CancellationToken.None);
        }
        catch (ObjectStorageException ex)
        {
            logger.LogWarning("{Key} was left in object storage: {Reason}", key, ex.Message);
        }
    }
}
