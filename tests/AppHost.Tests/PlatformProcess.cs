using System.Diagnostics;
using System.Text;
using CartoSelfHosted.TestSupport;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>AppHost started as a person starts it: the built AppHost.dll, what <c>./run.sh</c> runs.</summary>
public sealed class PlatformProcess : PlatformUnderTest, IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private PlatformProcess(Process process, string dataDirectory, IReadOnlyDictionary<string, int> ports) : base(dataDirectory, ports)
    {
        _process = process;
        process.OutputDataReceived += (_, line) => Append(line.Data);
        process.ErrorDataReceived += (_, line) => Append(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public override string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public int Pid => _process.Id;

    public int ExitCode => _process.ExitCode;

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public static PlatformProcess Start(string dataDirectory, IReadOnlyDictionary<string, int> ports) =>
        Start(dataDirectory, AsArguments(ports));

    /// <summary>Starts AppHost with the ports as given on its command line, numbers or not.</summary>
    public static PlatformProcess Start(string dataDirectory, IReadOnlyDictionary<string, string> portArguments)
    {
        var root = Repository.Root();
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        startInfo.ArgumentList.Add(Path.Combine(root, "artifacts", "bin", "AppHost", BuildConfiguration, "AppHost.dll"));
        foreach (var argument in Arguments(dataDirectory, portArguments))
        {
            startInfo.ArgumentList.Add(argument);
        }
        var ports = portArguments.ToDictionary(port => port.Key,
            port => int.TryParse(port.Value, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : 0);
        return new PlatformProcess(Process.Start(startInfo)!, dataDirectory, ports);
    }

    /// <summary>The build configuration the tests were built in, which is AppHost's too (one build of the solution).</summary>
    public static string BuildConfiguration =>
#if DEBUG
        "debug";
#else
        "release";
#endif

    protected override void ThrowIfEnded()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"AppHost exited with {_process.ExitCode}:\n{Output}");
        }
    }

    /// <summary>What Ctrl+C in a terminal sends.</summary>
    public async Task InterruptAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            ProcessSignals.Send(_process.Id, ProcessSignals.SIGINT);
        }
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"AppHost did not stop within {timeout}. Its output:\n{Output}");
        }
    }

    /// <summary>kill -9 of AppHost alone: no chance to stop anything itself.</summary>
    public void KillAppHost()
    {
        ProcessSignals.Kill9(_process.Id);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await InterruptAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
        }
        Http.Dispose();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
