using System.Net.Sockets;

namespace CartoSelfHosted.Platform.ObjectStorage;

/// <summary>
/// Calls to a cloud store, whose failures become an <see cref="ObjectStorageException"/> naming the store, what was
/// being done and why it failed. <paramref name="isServiceFailure"/> tells the SDK's own exceptions; the rest that counts
/// as the store's failure is the network's (refused, reset or timed-out connections), never the caller's stream or cancel.
/// </summary>
internal sealed class StoreCalls(string description, Func<Exception, bool> isServiceFailure, Func<Exception, string?> serviceReason)
{
    public async Task<T> RunAsync<T>(string doing, string key, CancellationToken cancellationToken, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            throw new ObjectStorageException($"{description}: {doing} '{key}' failed: {Reason(ex)}", ex);
        }
    }

    public bool IsStoreFailure(Exception exception, CancellationToken cancellationToken) => isServiceFailure(exception) || exception switch
    {
        HttpRequestException or SocketException or IOException => true,
        // An SDK's own timeout, not the caller's cancel.
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AggregateException aggregate => aggregate.InnerExceptions.Any(inner => IsStoreFailure(inner, cancellationToken)),
        _ => false,
    };

    /// <summary>
    /// The failed connection's own words ("Connection refused (127.0.0.1:9000)") when there are some: an SDK's outer
    /// message wraps them in retry counts and request dumps. Else the service's reason, else the exception's message.
    /// </summary>
    public string Reason(Exception exception) => ConnectionReason(exception) ?? serviceReason(exception) ?? exception.Message;

    private static string? ConnectionReason(Exception exception) => exception switch
    {
        HttpRequestException http => http.Message,
        AggregateException aggregate => aggregate.InnerExceptions.Select(ConnectionReason).FirstOrDefault(reason => reason is not null),
        { InnerException: { } inner } => ConnectionReason(inner),
        _ => null,
    };
}
