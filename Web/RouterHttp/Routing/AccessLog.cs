using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;
using CartoSelfHosted.ServiceDefaults.Problems;
using CartoSelfHosted.ServiceDefaults.Telemetry;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.RouterHttp.Routing;

/// <summary>Where and how the router writes its access log (the section <c>AccessLog</c>).</summary>
public sealed class AccessLogOptions
{
    public const string SectionName = "AccessLog";

    /// <summary>The folder of the log's files; the router's content root's <c>logs</c> when empty.</summary>
    public string? Directory { get; set; }

    /// <summary>How often the lines queued since the last time are written, in one write.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How many days' files are kept.</summary>
    public int RetainedFiles { get; set; } = 10;

    /// <summary>Lines waiting to be written at most; a request that finds the queue full goes unlogged (and counted).</summary>
    public int QueueLimit { get; set; } = 100_000;
}

/// <summary>
/// One line per request in W3C's extended log format, in a file a day of its own under <see cref="AccessLogOptions.Directory"/>:
/// date and time (UTC), the caller's address, method, path, status, time taken (ms) and the request id. Not through the
/// service's log, which goes to the console and the dashboard: at thousands of cached tiles a second, an entry per
/// request there cost more than the request. Never the query string, where CARTO's clients may put a token
/// (<c>access_token</c>), nor a token named in the path (CARTO's Tokens API).
/// </summary>
/// <remarks>
/// Written here rather than by ASP.NET Core's W3C logger, which looks the file up and flushes it for every line and lists
/// the folder for every batch: about 40 µs of the router's CPU a request, a fifth of a cached tile's (bench/README.md,
/// tiles). Here a request queues its fields (no formatting, no wait: the router runs requests on its I/O threads), and a
/// background loop formats whatever is queued and writes it at once every <see cref="AccessLogOptions.FlushInterval"/>.
/// </remarks>
public sealed partial class AccessLog(IOptions<AccessLogOptions> options, IHostEnvironment environment, ILogger<AccessLog> logger)
    : BackgroundService
{
    public const string FilePrefix = "router-http-access-";
    private const string Fields = "date time c-ip cs-method cs-uri-stem sc-status time-taken cs(X-Request-Id)";

    private readonly AccessLogOptions _options = options.Value;
    private readonly Channel<Entry> _queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(options.Value.QueueLimit)
    {
        // TryWrite never waits in this mode: it says false when the queue is full (DropWrite would say true and drop).
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });
    private readonly StringBuilder _lines = new();
    private long _unlogged;
    private FileStream? _file;
    private DateOnly _openDay;
    private DateOnly _fileDay;

    private string Folder => _options.Directory is { Length: > 0 } configured
        ? Path.Combine(environment.ContentRootPath, configured)
        : Path.Combine(environment.ContentRootPath, "logs");

    /// <summary>The request's fields, taken when it has been answered.</summary>
    private readonly record struct Entry(DateTime Time, IPAddress? Caller, string Method, string Path, int Status, double Milliseconds,
        string? RequestId);

    public void Record(HttpContext context, long startedAt)
    {
        var entry = new Entry(DateTime.UtcNow, context.Connection.RemoteIpAddress, context.Request.Method,
            context.Request.Path.ToUriComponent(), context.Response.StatusCode, Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds,
            context.Request.Headers[ProblemDetailsExtensions.RequestIdHeader].ToString());
        if (!_queue.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _unlogged);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await WriteQueuedAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: what is queued still goes out, below.
        }
        await WriteQueuedAsync();
        if (_file is not null)
        {
            await _file.DisposeAsync();
        }
    }

    private async Task WriteQueuedAsync()
    {
        while (_queue.Reader.TryRead(out var entry))
        {
            if (DateOnly.FromDateTime(entry.Time) != _fileDay && _lines.Length > 0)
            {
                await WriteLinesAsync(_fileDay);
            }
            _fileDay = DateOnly.FromDateTime(entry.Time);
            AppendLine(entry);
        }
        if (Interlocked.Exchange(ref _unlogged, 0) is var unlogged and > 0)
        {
            _lines.Append(CultureInfo.InvariantCulture, $"#Remark: {unlogged} requests not logged: the queue was full\n");
        }
        if (_lines.Length > 0)
        {
            await WriteLinesAsync(_fileDay == default ? DateOnly.FromDateTime(DateTime.UtcNow) : _fileDay);
        }
    }

    private void AppendLine(in Entry entry)
    {
        var path = TokenRedaction.RedactPath(entry.Path) ?? entry.Path;
        _lines.Append(CultureInfo.InvariantCulture, $"{entry.Time:yyyy-MM-dd HH:mm:ss} {entry.Caller?.ToString() ?? "-"} {entry.Method} ")
            .Append(path)
            .Append(CultureInfo.InvariantCulture, $" {entry.Status} {entry.Milliseconds:0.###} ")
            .Append(entry.RequestId is { Length: > 0 } requestId ? requestId : "-")
            .Append('\n');
    }

    /// <summary>The lines so far to the day's file (opened, with W3C's directives, on its first line of the day or of this process).</summary>
    private async Task WriteLinesAsync(DateOnly day)
    {
        try
        {
            if (_file is null || day != _openDay)
            {
                await OpenAsync(day);
            }
            await _file!.WriteAsync(Encoding.UTF8.GetBytes(_lines.ToString()));
            await _file.FlushAsync();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(logger, exception, Folder);
        }
        finally
        {
            _lines.Clear();
        }
    }

    private async Task OpenAsync(DateOnly day)
    {
        if (_file is not null)
        {
            await _file.DisposeAsync();
            _file = null;
        }
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, $"{FilePrefix}{day:yyyyMMdd}.txt");
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _openDay = day;
        var directives = $"#Version: 1.0\n#Start-Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}\n#Fields: {Fields}\n";
        await _file.WriteAsync(Encoding.UTF8.GetBytes(directives));
        // The oldest files past the ones kept; their names sort by day.
        foreach (var old in Directory.GetFiles(Folder, FilePrefix + "*").Order(StringComparer.Ordinal).SkipLast(_options.RetainedFiles))
        {
            File.Delete(old);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The access log could not be written in {Folder}")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string folder);
}

public static class AccessLogExtensions
{
    public static IHostApplicationBuilder AddAccessLog(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<AccessLogOptions>(builder.Configuration.GetSection(AccessLogOptions.SectionName));
        builder.Services.AddSingleton<AccessLog>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AccessLog>());
        return builder;
    }

    /// <summary>The orchestrator's health probes, every few seconds, would bury the requests people make.</summary>
    public static IApplicationBuilder UseAccessLog(this IApplicationBuilder app)
    {
        var accessLog = app.ApplicationServices.GetRequiredService<AccessLog>();
        return app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.HealthPath)
                || context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.AlivePath))
            {
                await next(context);
                return;
            }
            var startedAt = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                accessLog.Record(context, startedAt);
            }
        });
    }
}
