using System.Security.Cryptography;
using System.Text.Json.Serialization;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.AccountsApi.Accounts;

/// <summary>CARTO's Tokens API body, for creating a token and, with the same shape, changing one (members left out stay).</summary>
public sealed record AccessTokenBody(
    [property: JsonPropertyName("name")] string? Name = null,
    [property: JsonPropertyName("grants")] IReadOnlyList<SourceGrant?>? Grants = null,
    [property: JsonPropertyName("allowed_apis")] IReadOnlyList<string?>? AllowedApis = null,
    [property: JsonPropertyName("referers")] IReadOnlyList<string?>? Referers = null,
    [property: JsonPropertyName("expiration_date")] DateTimeOffset? ExpirationDate = null);

/// <summary>What an API access token is, once its body was checked: what accounts-api stores.</summary>
public sealed record AccessTokenSpec(string? Name, IReadOnlyList<SourceGrant>? Grants, IReadOnlyList<string>? AllowedApis,
    IReadOnlyList<string>? Referers, DateTimeOffset? ExpiresAt);

/// <summary>The checks of a Tokens API body: each refusal is a 400 problem that names the member and what it must be.</summary>
public static class AccessTokenRequests
{
    public const int MaxGrants = 100;
    public const int MaxReferers = 50;
    public const int MaxNameLength = 200;
    public const int MaxConnectionNameLength = 128;

    // A granted query is kept, and compared, as it is: long enough for any query a map sends.
    public const int MaxSourceLength = 100_000;

    /// <summary>A whole new token's body: grants and allowed_apis are needed.</summary>
    public static (AccessTokenSpec? Spec, IResult? Problem) ForCreation(AccessTokenBody? body, DateTimeOffset now)
    {
        if (body is null)
        {
            return (null, Invalid("No body", "The body is CARTO's token: {grants, allowed_apis, referers?, expiration_date?, name?}."));
        }
        if (body.Grants is null)
        {
            return (null, Invalid("No grants", "grants is a list of {connection_name, source}: what the token may read."));
        }
        if (body.AllowedApis is null)
        {
            return (null, Invalid("No allowed_apis", $"allowed_apis lists the APIs the token may call: {string.Join(", ", CartoApis.All)}."));
        }
        if (body.ExpirationDate is { } expiration && expiration <= now)
        {
            return (null, Invalid("Invalid expiration_date", "expiration_date is a date and time to come (ISO 8601), or left out for a token that does not expire."));
        }
        var (spec, problem) = Check(body);
        return spec is null ? (null, problem) : (spec with { Name = spec.Name ?? DefaultName(), ExpiresAt = body.ExpirationDate }, null);
    }

    /// <summary>A change: what is given replaces what the token has; its expiration is set once, at creation.</summary>
    public static (AccessTokenSpec? Spec, IResult? Problem) ForChange(AccessTokenBody? body)
    {
        if (body is null)
        {
            return (null, Invalid("No body", "The body holds what changes: grants, allowed_apis, referers or name."));
        }
        if (body.ExpirationDate is not null)
        {
            return (null, Invalid("expiration_date cannot change",
                "A token's expiration_date is set when it is made: make a new token and delete this one to change it."));
        }
        return Check(body);
    }

    private static (AccessTokenSpec? Spec, IResult? Problem) Check(AccessTokenBody body)
    {
        if (body.Name is { } name && (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength))
        {
            return (null, Invalid("Invalid name", $"name is a label of 1 to {MaxNameLength} characters."));
        }
        List<SourceGrant>? grants = null;
        if (body.Grants is { } givenGrants)
        {
            if (givenGrants.Count is 0 or > MaxGrants)
            {
                return (null, Invalid("Invalid grants", $"grants lists 1 to {MaxGrants} sources the token may read."));
            }
            grants = [];
            foreach (var grant in givenGrants)
            {
                if (grant is null || string.IsNullOrWhiteSpace(grant.ConnectionName) || grant.ConnectionName.Length > MaxConnectionNameLength
                    || string.IsNullOrWhiteSpace(grant.Source) || grant.Source.Length > MaxSourceLength)
                {
                    return (null, Invalid("Invalid grant", "Each grant is {connection_name, source}: a connection's name and, on it, '*' (all), " +
                        $"'schema.*', a table ('table' or 'schema.table') or an exact SQL query of at most {MaxSourceLength} characters."));
                }
                grants.Add(grant);
            }
        }
        List<string>? apis = null;
        if (body.AllowedApis is { } givenApis)
        {
            if (givenApis.Count == 0 || givenApis.Any(api => api is null || !CartoApis.All.Contains(api)))
            {
                return (null, Invalid("Invalid allowed_apis", $"allowed_apis lists one or more of: {string.Join(", ", CartoApis.All)}."));
            }
            apis = givenApis.Distinct().ToList()!;
        }
        List<string>? referers = null;
        if (body.Referers is { } givenReferers)
        {
            if (givenReferers.Count > MaxReferers)
            {
                return (null, Invalid("Invalid referers", $"referers lists at most {MaxReferers} origins."));
            }
            referers = [];
            foreach (var referer in givenReferers)
            {
                if (OriginOf(referer) is not { } origin)
                {
                    return (null, Invalid("Invalid referer", "Each referer is a web app's origin, such as https://maps.example.com: " +
                        "http or https, a host and maybe a port, no path."));
                }
                referers.Add(origin);
            }
        }
        return (new AccessTokenSpec(body.Name, grants, apis, referers?.Distinct().ToList(), null), null);
    }

    /// <summary>A referer as browsers send origins; a trailing slash is forgiven, a path or a query is not.</summary>
    private static string? OriginOf(string? referer) =>
        referer is not null && Uri.TryCreate(referer, UriKind.Absolute, out var uri) && uri.AbsolutePath == "/" && uri.Query.Length == 0
            && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
            ? ApiAccessTokens.Origin(referer)
            : null;

    // CARTO's Workspace names new tokens tk_<short id>.
    private static string DefaultName() => "tk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    private static IResult Invalid(string title, string detail) => ProblemResults.BadRequest(title, detail);
}
