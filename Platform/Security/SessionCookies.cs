using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace CartoSelfHosted.Platform.Security;

/// <summary>
/// The web apps' session: an HttpOnly cookie carrying a session token (a token like any other, its hash in
/// <c>api_tokens</c>), and, for writes carried by that cookie, CSRF protection by a signed double submit: a second,
/// script-readable cookie holds a value derived from the session token, which the page sends back in
/// <see cref="CsrfHeader"/>. A page of another origin can make the browser send the cookies but cannot read them, so it
/// cannot send the header; and the value cannot be forged without the session token.
/// </summary>
public static class SessionCookies
{
    public const string SessionCookie = "carto_session";
    public const string CsrfCookie = "carto_csrf";
    public const string CsrfHeader = "X-CSRF-Token";

    public static string CsrfToken(string sessionToken) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(sessionToken), "csrf"u8));

    /// <summary>Whether an unsafe request carried by the session cookie sent the matching CSRF header.</summary>
    public static bool HasCsrfToken(HttpRequest request, string sessionToken) =>
        request.Headers[CsrfHeader] is [{ } sent] && CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(CsrfToken(sessionToken)));

    /// <summary>Sets both cookies; Secure when the request came over HTTPS (to the router, per X-Forwarded-Proto).</summary>
    public static void Append(HttpResponse response, string sessionToken, DateTimeOffset expires)
    {
        var secure = response.HttpContext.Request.IsHttps;
        response.Cookies.Append(SessionCookie, sessionToken, new CookieOptions
        {
            HttpOnly = true, Secure = secure, SameSite = SameSiteMode.Lax, Path = "/", Expires = expires,
        });
        response.Cookies.Append(CsrfCookie, CsrfToken(sessionToken), new CookieOptions
        {
            HttpOnly = false, Secure = secure, SameSite = SameSiteMode.Strict, Path = "/", Expires = expires,
        });
    }

    public static void Delete(HttpResponse response)
    {
        response.Cookies.Delete(SessionCookie, new CookieOptions { Path = "/" });
        response.Cookies.Delete(CsrfCookie, new CookieOptions { Path = "/" });
    }
}
