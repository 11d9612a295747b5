using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CartoSelfHosted.Integration.Tests.Caching;

internal static class Redis
{
    /// <summary>A client of the shared test Redis (or of <paramref name="endpoint"/>), with the options changed as asked.</summary>
    public static RedisClient Client(Action<RedisCacheOptions>? configure = null, RedisEndpoint? endpoint = null, ILogger<RedisClient>? logger = null)
    {
        var options = new RedisCacheOptions();
        configure?.Invoke(options);
        return new RedisClient(endpoint ?? RedisEndpoint.Parse(TestServers.Redis), Options.Create(options),
            logger ?? NullLogger<RedisClient>.Instance);
    }

    public static RedisCache Cache(RedisClient client) => new(client, NullLogger<RedisCache>.Instance);

    /// <summary>Keys of their own for one test: the shared Redis serves other tests at the same time.</summary>
    public static string UniquePrefix(string test) => $"test:{test}:{Guid.NewGuid():N}:";

    /// <summary>Bytes every value of which occurs, CR and LF included, different for each seed.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

/// <summary>A redis-server of the test's own, to kill and start again: the shared one must stay up for the other tests.</summary>
internal sealed class RedisServerProcess : IDisposable
{
    private readonly Process _process;

    private RedisServerProcess(Process process) => _process = process;

    public static async Task<RedisServerProcess> StartAsync(int port, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("redis-server",
            ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServerProcess(process);
        try
        {
            await Eventually.WaitUntilAsync(() => RedisPing.PingAsync(new RedisEndpoint("127.0.0.1", port), cancellationToken),
                TimeSpan.FromSeconds(10), $"redis-server on port {port} to answer", cancellationToken);
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return server;
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}

/// <summary>Every log entry, to count how often an outage is told.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public int Count(string category, LogLevel level) => Entries.Count(entry => entry.Category == category && entry.Level == level);

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Entries.Enqueue((category, logLevel, formatter(state, exception)));
    }
}
