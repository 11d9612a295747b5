using System.Globalization;
using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.Platform.Connections;
using CartoSelfHosted.Platform.Security;

namespace CartoSelfHosted.MapsApi.Sql;

/// <summary>
/// Cache headers of SQL answers. A GET answer is kept by the HTTP cache (per token, see http-cache's VCL) under the
/// surrogate keys of its connection and organization, which cdn-invalidator purges on the organization's data-changed
/// events; browsers keep it briefly. A POST answer is never stored.
/// </summary>
public static class SqlCaching
{
    internal static void Apply(HttpContext httpContext, SqlQuery query, TimeSpan cacheDuration) =>
        Apply(httpContext, query.Connection, query.Cacheable, cacheDuration);

    /// <summary>The same for any answer made from the organization's data on a connection (widgets, too).</summary>
    internal static void Apply(HttpContext httpContext, DataConnection connection, bool cacheable, TimeSpan cacheDuration)
    {
        var headers = httpContext.Response.Headers;
        if (!cacheable)
        {
            headers.CacheControl = "no-store";
            return;
        }
        headers.CacheControl = "private, max-age=30";
        var maxAge = DataConnection.MaxAge(connection.Name, cacheDuration);
        headers["Surrogate-Control"] = "max-age=" + ((long)maxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        headers["xkey"] = $"{SurrogateKeys.Connection(connection.Name)} {SurrogateKeys.OrganizationQueries(httpContext.User.GetOrganizationSlug())}";
    }
}
