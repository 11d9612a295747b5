namespace CartoSelfHosted.ServiceDefaults.Problems;

/// <summary>
/// The stable <c>type</c> URIs of the platform's problem details (RFC 9457). Clients branch on these,
/// never on <c>title</c> or <c>detail</c> text.
/// </summary>
public static class ProblemTypes
{
    private const string Base = "https://carto-self-hosted.dev/problems/";

    public const string BadRequest = Base + "bad-request";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";
    public const string NotFound = Base + "not-found";
    public const string MethodNotAllowed = Base + "method-not-allowed";
    public const string Conflict = Base + "conflict";
    public const string PayloadTooLarge = Base + "payload-too-large";
    public const string UnsupportedMediaType = Base + "unsupported-media-type";
    public const string TooManyRequests = Base + "too-many-requests";
    public const string Internal = Base + "internal";
    public const string UpstreamUnavailable = Base + "upstream-unavailable";
    public const string UpstreamTimeout = Base + "upstream-timeout";

    /// <summary>PostgreSQL refused the caller's SQL; the problem carries its message, SQLSTATE and position.</summary>
    public const string SqlError = Base + "sql-error";

    /// <summary>A query tried to change data where only reading is allowed.</summary>
    public const string ReadOnlyQuery = Base + "read-only-query";

    /// <summary>A point is not on the road network (off its extract), so no route or isoline can start or end there.</summary>
    public const string NotOnNetwork = Base + "not-on-network";

    /// <summary>The organization has spent its monthly quota of a service (a 429 whose Retry-After is the quota's renewal).</summary>
    public const string QuotaSpent = Base + "quota-spent";

    /// <summary>A query ran past its statement timeout.</summary>
    public const string QueryTimeout = Base + "query-timeout";

    public static string ForStatus(int status) => status switch
    {
        400 => BadRequest,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => Conflict,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        429 => TooManyRequests,
        502 or 503 => UpstreamUnavailable,
        504 => UpstreamTimeout,
        _ when status >= 500 => Internal,
        _ => BadRequest,
    };
}
