using System.Globalization;
using System.Security.Claims;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.LdsApi.Quotas;

/// <summary>How an endpoint makes the caller's organization pay for a call of a service: before it runs, and back when it gives no answer.</summary>
internal static class QuotaCharging
{
    /// <summary>
    /// Charges <paramref name="calls"/> to the caller's organization and runs <paramref name="answer"/>; a spent quota is a 429
    /// problem, and an answer that is a problem (or an exception) takes the charge back. Without a quota, an answered call is
    /// only counted (<see cref="UnlimitedUseCounter"/>). A single call is answered while it is
    /// charged — its query and the charge run side by side, on two connections, so the charge adds no wait to a call of a
    /// millisecond or two — and its answer is dropped when the quota is spent; a call of many is charged before it runs.
    /// </summary>
    public static async Task<IResult> ChargedAsync(this LdsQuota quota, ClaimsPrincipal user, string service, long calls, HttpResponse response,
        Func<CancellationToken, Task<IResult>> answer, CancellationToken cancellationToken)
    {
        var organizationId = user.GetOrganizationId();
        if (await quota.QuotaOfAsync(organizationId, user.GetOrganizationSlug(), service, cancellationToken) is not { } monthlyQuota)
        {
            var answered = await answer(cancellationToken);
            if (answered is not IStatusCodeHttpResult { StatusCode: >= 400 })
            {
                quota.CountUnlimited(organizationId, service, calls);
            }
            return answered;
        }
        var charging = quota.ChargeAsync(organizationId, service, calls, monthlyQuota, cancellationToken);
        using var answerCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var answering = calls == 1 ? answer(answerCancellation.Token) : null;
        QuotaCharge charge;
        try
        {
            charge = await charging;
        }
        catch
        {
            await DropAsync(answering, answerCancellation);
            throw;
        }
        if (!charge.Granted)
        {
            await DropAsync(answering, answerCancellation);
            return QuotaSpent(charge, response);
        }
        IResult result;
        try
        {
            result = await (answering ?? answer(cancellationToken));
        }
        catch
        {
            await quota.RefundAsync(charge, CancellationToken.None);
            throw;
        }
        if (result is IStatusCodeHttpResult { StatusCode: >= 400 })
        {
            await quota.RefundAsync(charge, CancellationToken.None);
        }
        return result;
    }

    /// <summary>Stops an answer that will not be given and waits for it to end, whatever it ends with.</summary>
    private static async Task DropAsync(Task<IResult>? answering, CancellationTokenSource cancellation)
    {
        if (answering is null)
        {
            return;
        }
        await cancellation.CancelAsync();
        try
        {
            await answering;
        }
        catch (Exception)
        {
            // Cancelled, most likely, or failed: either way it is not the caller's answer.
        }
    }

    /// <summary>Documents the 429 of a charged endpoint.</summary>
    public static RouteHandlerBuilder WithQuotaSpent(this RouteHandlerBuilder endpoint) =>
        endpoint.WithProblem(StatusCodes.Status429TooManyRequests, "The organization has spent this month's quota of the service " +
            "(`GET /api/v3/lds/stats`); `Retry-After` is the seconds until the next month (UTC).");

    private static IResult QuotaSpent(QuotaCharge charge, HttpResponse response)
    {
        var renewal = charge.Month.AddMonths(1);
        var untilRenewal = renewal.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) - DateTime.UtcNow;
        response.Headers.RetryAfter = ((long)Math.Ceiling(Math.Max(untilRenewal.TotalSeconds, 1))).ToString(CultureInfo.InvariantCulture);
        var left = Math.Max(charge.Quota - charge.Used, 0);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Quota spent", type: ProblemTypes.QuotaSpent,
            detail: string.Create(CultureInfo.InvariantCulture,
                $"The organization's {charge.Service} quota is {charge.Quota:N0} a month and {charge.Used:N0} are used: " +
                $"{(charge.Calls == 1 ? "this call does not fit" : $"these {charge.Calls:N0} calls do not fit ({left:N0} left)")}. " +
                $"It renews on {renewal:yyyy-MM-dd} (UTC)."));
    }
}
