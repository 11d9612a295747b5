using Microsoft.Net.Http.Headers;

namespace CartoSelfHosted.RouterHttp.Routing;

/// <summary>
/// Which browser origins may call the API (the section <c>Cors</c>). By default any: the authority is the API token a
/// request carries in <c>Authorization</c>, never a cookie the browser adds by itself, so a page elsewhere gains nothing
/// it was not handed; CARTO's clients are web apps on their users' own origins.
/// </summary>
public sealed class CrossOriginOptions
{
    public const string SectionName = "Cors";
    public const string AnyOrigin = "*";

    /// <summary><c>*</c>, or the exact origins (<c>https://maps.example.com</c>) that may call the API.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>How long a browser keeps a preflight's answer (Chromium keeps at most 2 hours).</summary>
    public TimeSpan PreflightMaxAge { get; set; } = TimeSpan.FromHours(2);

    public bool AllowsAnyOrigin => AllowedOrigins.Contains(AnyOrigin);
}

public static class CrossOrigin
{
    // What CARTO's clients send (`@carto/api-client`: a bearer token and JSON bodies; caches revalidate) and may read.
    private static readonly string[] RequestHeaders =
        [HeaderNames.Authorization, HeaderNames.ContentType, HeaderNames.CacheControl, HeaderNames.IfModifiedSince, "X-Request-Id"];
    private static readonly string[] ResponseHeaders =
        ["X-Request-Id", "X-Cache", HeaderNames.ContentDisposition, HeaderNames.Location, HeaderNames.RetryAfter];

    public static IHostApplicationBuilder AddCrossOrigin(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(CrossOriginOptions.SectionName).Get<CrossOriginOptions>() ?? new();
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy =>
        {
            if (options.AllowsAnyOrigin)
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                var allowed = options.AllowedOrigins.Select(origin => origin.TrimEnd('/')).ToHashSet(StringComparer.OrdinalIgnoreCase);
                policy.SetIsOriginAllowed(allowed.Contains);
            }
            policy.WithMethods("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
                .WithHeaders(RequestHeaders)
                .WithExposedHeaders(ResponseHeaders)
                .SetPreflightMaxAge(options.PreflightMaxAge);
        }));
        return builder;
    }

    /// <summary>
    /// Preflights are answered here, before any service asks for a token. Every API answer says <c>Vary: Origin</c>: its
    /// CORS headers depend on the caller's origin (even "any origin" is only stated to callers that send one), so no
    /// browser cache hands one origin's answer to another. The HTTP cache behind the router never sees these headers:
    /// they are added on the way out, after it.
    /// </summary>
    public static IApplicationBuilder UseCrossOrigin(this IApplicationBuilder app)
    {
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/api"))
            {
                context.Response.OnStarting(() =>
                {
                    var headers = context.Response.Headers;
                    if (!headers.Vary.SelectMany(value => (value ?? "").Split(',', StringSplitOptions.TrimEntries))
                        .Contains(HeaderNames.Origin, StringComparer.OrdinalIgnoreCase))
                    {
                        headers.Append(HeaderNames.Vary, HeaderNames.Origin);
                    }
                    return Task.CompletedTask;
                });
            }
            return next(context);
        });
        return app.UseCors();
    }
}
