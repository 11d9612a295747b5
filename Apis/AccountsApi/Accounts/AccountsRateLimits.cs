using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.AccountsApi.Accounts;

/// <summary>
/// ASP.NET Core's rate limiter on the endpoints that need no token (sign-up, sign-in, refresh, invitations and resets),
/// per client address: the router's <c>X-Forwarded-For</c>, which accounts-api takes from loopback proxies only.
/// </summary>
public static class AccountsRateLimits
{
    public const string PerClientAddress = "per-client-address";

    public const string PerClientAddressProblem = "Too many requests from this client address: try again after `Retry-After`.";

    public static IServiceCollection AddAccountsRateLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<AccountsOptions>>((limiter, accounts) =>
        {
            var settings = accounts.Value;
            limiter.AddPolicy(PerClientAddress, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.RequestsPerIp, Window = settings.IpWindow, QueueLimit = 0 }));
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var response = rejected.HttpContext.Response;
                var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : settings.IpWindow;
                var problem = AccountProblems.TooManyAttempts(response, wait, "requests from this client address");
                await problem.ExecuteAsync(rejected.HttpContext);
            };
        });
        return services;
    }
}
