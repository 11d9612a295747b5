using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.AccountsApi.Accounts;

/// <summary>
/// The per-address limit of sign-ins and password-reset requests, on the rate limiters ASP.NET Core's own middleware is
/// built on. The middleware limits per client address (see Extensions) but runs before the body is read, and the
/// e-mail address is in the body: this one is asked by the endpoint, once it has the address.
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _perAddress;
    private readonly TimeSpan _window;

    public SignInThrottle(IOptions<AccountsOptions> options)
    {
        var settings = options.Value;
        _window = settings.AddressWindow;
        _perAddress = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.AttemptsPerAddress, Window = settings.AddressWindow, QueueLimit = 0 }));
    }

    /// <summary>Null when the address may try again now; else how long it must wait.</summary>
    public TimeSpan? Acquire(string normalizedEmail)
    {
        using var lease = _perAddress.AttemptAcquire(normalizedEmail);
        return lease.IsAcquired ? null : lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : _window;
    }

    public void Dispose() => _perAddress.Dispose();
}
