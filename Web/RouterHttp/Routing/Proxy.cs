using System.Buffers;
using System.Globalization;
using CartoSelfHosted.ServiceDefaults.Problems;
using CartoSelfHosted.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace CartoSelfHosted.RouterHttp.Routing;

/// <summary>
/// The API's routes to the services (YARP: routes and clusters from the section <c>ReverseProxy</c>, destinations by
/// Aspire service discovery), streamed both ways without buffering.
/// </summary>
public static partial class Proxy
{
    /// <summary>Marks traffic from outside: the HTTP cache refuses PURGE from anything that came through the router.</summary>
    public const string RouterHeader = "X-Router";

    /// <summary>Route metadata: trace one request in N on this route (tiles come by the thousand a second).</summary>
    public const string SampledTracingMetadata = "SampledTracingOneIn";

    /// <summary>
    /// Route metadata of the routes to the HTTP cache: the cluster of the service behind it, which gets what the cache never
    /// keeps (any method but GET and HEAD) directly.
    /// </summary>
    public const string UncachedClusterMetadata = "UncachedCluster";

    private const long DrainedAtMost = 64 * 1024 * 1024;
    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(10);

    public static IHostApplicationBuilder AddProxy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<ReplicaHealthChecks>()
            .AddTransforms(transforms =>
            {
                transforms.AddRequestHeader(RouterHeader, "router-http", append: false);
                // What runs behind the router is nobody's business outside it.
                transforms.AddResponseHeaderRemove(HeaderNames.Server, ResponseCondition.Always);
                ApiReference.AddDocumentTransform(transforms);
                transforms.AddRequestTransform(AskBeforeSendingTheBody);
            })
            .AddServiceDiscoveryDestinationResolver();
        return builder;
    }

    /// <summary>
    /// A request with a body goes with <c>Expect: 100-continue</c>: its body follows once the service asks for it. Sent on
    /// a pooled connection to a replica that has just died, it then fails before any of it went, and HttpClient sends it
    /// again on a new connection, which the dead replica refuses and <see cref="TryAnotherReplicaWhenSafe"/> sends on to
    /// another. Without it, the body would go out at once and the failure could not be told from one after the service
    /// had it (a 502 then). The question costs a round trip more per request (the service's <c>100 Continue</c>), so it
    /// is asked only where another replica could take the request: a service running once has none to send it on to.
    /// </summary>
    private static ValueTask AskBeforeSendingTheBody(RequestTransformContext context)
    {
        if (context.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
            && context.HttpContext.GetReverseProxyFeature().AllDestinations.Count > 1)
        {
            context.ProxyRequest.Headers.ExpectContinue = true;
        }
        return ValueTask.CompletedTask;
    }

    public static IEndpointRouteBuilder MapProxy(this IEndpointRouteBuilder app)
    {
        app.MapReverseProxy(proxy =>
            {
                proxy.Use(RefuseBodiesOverTheRouteLimit);
                proxy.Use(SendWhatIsNeverCachedToTheService);
                proxy.Use(CacheCredentials.CheckAsync);
                proxy.UseSessionAffinity();
                proxy.Use(AnswerProxyErrorsWithProblems);
                proxy.Use(TryAnotherReplicaWhenSafe);
                proxy.UseLoadBalancing();
                proxy.UsePassiveHealthChecks();
            })
            .ConfigureEndpoints((endpoint, route) =>
            {
                if (route.Metadata?.GetValueOrDefault(SampledTracingMetadata) is { } oneIn)
                {
                    endpoint.WithMetadata(new SampledTracing(int.Parse(oneIn, CultureInfo.InvariantCulture)));
                }
            });
        return app;
    }

    /// <summary>
    /// A declared length over the route's limit (<c>MaxRequestBodySize</c>; Kestrel's otherwise) is refused before a byte
    /// goes upstream. A chunked body that grows past it fails while streaming, and <see cref="AnswerProxyErrorsWithProblems"/>
    /// answers that.
    /// </summary>
    private static async Task RefuseBodiesOverTheRouteLimit(HttpContext context, Func<Task> next)
    {
        // The route's own limit is applied at the end of YARP's pipeline, after this step: it is read from the route.
        var bodySize = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        var limit = context.GetReverseProxyFeature().Route.Config.MaxRequestBodySize switch
        {
            null => bodySize?.MaxRequestBodySize,
            < 0 => null,
            var routeLimit => routeLimit,
        };
        if (bodySize is null || limit is null || !(context.Request.ContentLength > limit))
        {
            await next();
            return;
        }
        // The connection is not reused: what is left of the body is read and dropped (below), or not at all.
        context.Response.Headers.Connection = "close";
        var drain = context.Request.ContentLength - limit.Value <= DrainedAtMost;
        if (drain)
        {
            bodySize.MaxRequestBodySize = null;
        }
        await RouterProblems.PayloadTooLargeAsync(context, limit.Value);
        if (drain)
        {
            await DrainAsync(context);
        }
    }

    /// <summary>
    /// As nginx's lingering close does: most clients (HttpClient, browsers) send the whole body before they read the
    /// answer, and would see a broken pipe instead of the 413 if the router stopped reading. So the answer goes out
    /// first and the rest of the body is read and dropped, up to <see cref="DrainedAtMost"/> bytes over the limit
    /// and for <see cref="DrainTime"/> at most.
    /// </summary>
    private static async Task DrainAsync(HttpContext context)
    {
        await context.Response.CompleteAsync();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(DrainTime);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (await context.Request.Body.ReadAsync(buffer, deadline.Token) > 0)
            {
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The caller went away or took too long: the connection closes, as it would have anyway.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The cache would only pass a POST, PUT, PATCH or DELETE on: it goes to the service itself, one hop less, and — since
    /// the router knows whether a replica took it — tried on another replica when the first refused it, which a cache
    /// cannot tell from a failure after the service had it.
    /// </summary>
    private static Task SendWhatIsNeverCachedToTheService(HttpContext context, Func<Task> next)
    {
        var proxy = context.GetReverseProxyFeature();
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
            && proxy.Route.Config.Metadata?.GetValueOrDefault(UncachedClusterMetadata) is { } clusterId)
        {
            var cluster = context.RequestServices.GetRequiredService<IProxyStateLookup>().TryGetCluster(clusterId, out var service)
                ? service
                : throw new InvalidOperationException($"The route {proxy.Route.Config.RouteId} names a cluster {clusterId} that does not exist.");
            context.ReassignProxyRequest(cluster);
        }
        return next();
    }

    /// <summary>
    /// A replica that was killed or is restarting refuses connections until the health checks take it out of rotation
    /// (a second or two). A request it refused never reached it, so it goes to another replica rather than failing, and
    /// so does a GET or HEAD that failed before its answer began (a dying process may still take a connection, then drop
    /// it), since asking again changes nothing. Any other request that a replica took and then failed is not tried
    /// again: it may have had its effect.
    /// </summary>
    private static async Task TryAnotherReplicaWhenSafe(HttpContext context, Func<Task> next)
    {
        var proxy = context.GetReverseProxyFeature();
        var untried = proxy.AvailableDestinations;
        var idempotent = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        while (true)
        {
            await next();
            if (context.GetForwarderErrorFeature() is not { Error: ForwarderError.Request } failure
                || !(idempotent || IsRefusedConnection(failure.Exception))
                || context.Response.HasStarted || proxy.ProxiedDestination is not { } failed)
            {
                return;
            }
            untried = [.. untried.Where(destination => destination != failed)];
            if (untried.Count == 0)
            {
                return;
            }
            proxy.AvailableDestinations = untried;
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.Clear();
        }
    }

    private static bool IsRefusedConnection(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError })
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>YARP reports a failed forward by status code alone; callers get problem details saying what happened.</summary>
    private static async Task AnswerProxyErrorsWithProblems(HttpContext context, Func<Task> next)
    {
        await next();
        if (context.GetForwarderErrorFeature() is not { } failure || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        var badRequest = failure.Error == ForwarderError.RequestBodyClient ? FindBadRequest(failure.Exception) : null;
        // A chunked body that grew past the limit while streaming: the same answer as a declared length over it.
        if (badRequest?.StatusCode == StatusCodes.Status413PayloadTooLarge
            && context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit)
        {
            await RouterProblems.PayloadTooLargeAsync(context, limit);
            return;
        }
        var (status, type, detail) = failure.Error switch
        {
            ForwarderError.RequestTimedOut => (StatusCodes.Status504GatewayTimeout, ProblemTypes.UpstreamTimeout,
                "The service behind this route did not answer in time."),
            ForwarderError.NoAvailableDestinations => (StatusCodes.Status503ServiceUnavailable, ProblemTypes.UpstreamUnavailable,
                "The service behind this route is unavailable. Try again shortly."),
            ForwarderError.RequestBodyClient when badRequest is not null => (badRequest.StatusCode, ProblemTypes.ForStatus(badRequest.StatusCode),
                "The request body could not be read: " + badRequest.Message),
            ForwarderError.RequestBodyClient => (StatusCodes.Status400BadRequest, ProblemTypes.BadRequest,
                "The request body could not be read."),
            _ => (StatusCodes.Status502BadGateway, ProblemTypes.UpstreamUnavailable,
                "The service behind this route is not answering. Try again shortly."),
        };
        if (status >= StatusCodes.Status500InternalServerError)
        {
            LogForwardingFailed(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(Proxy).FullName!),
                failure.Exception, context.Request.Method, context.Request.Path, failure.Error,
                context.GetReverseProxyFeature().ProxiedDestination?.Model.Config.Address ?? "no destination");
        }
        await RouterProblems.WriteAsync(context, status, type, detail);
    }

    /// <summary>Why the router answered a request itself (YARP reports it below Warning): the operator's first question on a 502.</summary>
    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} failed at the router: {Error} from {Destination}")]
    private static partial void LogForwardingFailed(ILogger logger, Exception? exception, string method, PathString path, ForwarderError error,
        string destination);

    private static BadHttpRequestException? FindBadRequest(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is BadHttpRequestException badRequest)
            {
                return badRequest;
            }
        }
        return null;
    }
}
