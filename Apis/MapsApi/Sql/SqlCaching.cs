using System.Globalization;
using CartoSelfHosted.Platform.Security;

namespace CartoSelfHosted.MapsApi.Sql;

/// <summary>
/// Cache headers of SQL answers. A GET answer is kept by the HTTP cache (per token, see http-cache's VCL) under the
/// surrogate keys of its connection and organization, which the organization's data-changed events purge; browsers
/// keep it briefly. A POST answer is never stored.
/// </summary>
public static class SqlCaching
{
    public static string OrganizationKey(string organizationSlug) => "sql:" + organizationSlug;

    public static string ConnectionKey(string connection) => "conn:" + connection;

    internal static void Apply(HttpContext httpContext, SqlQuery query, TimeSpan cacheDuration)
    {
        var headers = httpContext.Response.Headers;
        if (!query.Cacheable)
        {
            headers.CacheControl = "no-store";
            return;
        }
        headers.CacheControl = "private, max-age=30";
        headers["Surrogate-Control"] = "max-age=" + ((long)cacheDuration.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        headers["xkey"] = $"{ConnectionKey(query.Connection)} {OrganizationKey(httpContext.User.GetOrganizationSlug())}";
    }
}
