using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CartoSelfHosted.Platform.Caching;
using CartoSelfHosted.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CartoSelfHosted.Integration.Tests.Caching;

internal static class Redis
{
    /// <summary>
    /// A host set up as a service's is: <see cref="CachingExtensions.AddRedisCache"/> over <paramref name="configuration"/>
    /// (ConnectionStrings:redis is the shared test Redis unless the test names another, or null for none).
    /// </summary>
    public static IHost BuildHost(Dictionary<string, string?>? configuration = null, RecordingLoggerProvider? logs = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:redis"] = TestServers.Redis });
        builder.Configuration.AddInMemoryCollection(configuration ?? []);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }
        // As ServiceDefaults does in every service.
        builder.Services.AddHealthChecks();
        builder.AddRedisCache();
        return builder.Build();
    }

    /// <summary>A host of <see cref="BuildHost"/> whose Redis is at <paramref name="address"/> (host:port).</summary>
    public static IHost BuildHost(string address, RecordingLoggerProvider? logs = null) =>
        BuildHost(new Dictionary<string, string?> { ["ConnectionStrings:redis"] = address }, logs);

    public static RedisCache Cache(this IHost host) => host.Services.GetRequiredService<RedisCache>();

    /// <summary>The host's own connection, to look at what the cache wrote.</summary>
    public static IDatabase Database(this IHost host) => host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    /// <summary>Keys of their own for one test: the shared Redis serves other tests at the same time.</summary>
    public static string UniquePrefix(string test) => $"test:{test}:{Guid.NewGuid():N}:";

    /// <summary>Bytes every value of which occurs, CR and LF included, different for each seed.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Address(int port) => "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A redis-server of the test's own, to kill, pause and start again: the shared one must stay up for the other tests.</summary>
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
            await Eventually.WaitUntilAsync(() => AnswersAsync(port), TimeSpan.FromSeconds(10), $"redis-server on port {port} to answer",
                cancellationToken);
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return server;
    }

    /// <summary>Stops the process without ending it: its connections stay open and nothing answers on them.</summary>
    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    public void Kill()
    {
        if (!_process.HasExited)
        {
            Resume();
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static async Task<bool> AnswersAsync(int port)
    {
        try
        {
            // abortConnect is left true here: a connection not made throws, and the loop asks again.
            await using var probe = await ConnectionMultiplexer.ConnectAsync(Redis.Address(port) + ",connectTimeout=250");
            await probe.GetDatabase().PingAsync();
            return true;
        }
        catch (RedisConnectionException)
        {
            return false;
        }
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
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
