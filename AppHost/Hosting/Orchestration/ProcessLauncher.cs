using System.Collections.Concurrent;
using System.Diagnostics;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>
/// Starts every child process from one long-lived thread, as <c>setsid setpriv --pdeathsig TERM -- …</c> (each
/// exec's the next, so the pid is the server's own):
/// <list type="bullet">
/// <item>the kernel stops the children when AppHost dies, even by kill -9. The parent-death signal fires when the
/// forking <em>thread</em> exits, so forking from short-lived thread-pool threads would stop children at random;</item>
/// <item>each child has its own session, so Ctrl+C in a terminal reaches AppHost alone, which then stops the
/// children in dependency order instead of all of them at once.</item>
/// </list>
/// </summary>
public sealed class ProcessLauncher : IDisposable
{
    private const string SetPriv = "/usr/bin/setpriv";
    private const string SetSid = "/usr/bin/setsid";
    private readonly BlockingCollection<(ProcessStartInfo StartInfo, Action<Process> Configure, TaskCompletionSource<Process> Result)> _queue = new();
    private readonly Thread _thread;

    public ProcessLauncher()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "process-launcher" };
        _thread.Start();
    }

    /// <summary>Starts the process; <paramref name="configure"/> runs just before the start (to attach output handlers).</summary>
    public Task<Process> StartAsync(ProcessSpec spec, bool runningAsRoot, Action<Process> configure)
    {
        var result = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add((CreateStartInfo(spec, runningAsRoot), configure, result));
        return result.Task;
    }

    /// <summary>
    /// The start of a long-running server, tied to AppHost's life (<paramref name="tiedToAppHost"/>), or of a short
    /// command run to completion (initdb), which may be started from any thread.
    /// </summary>
    public static ProcessStartInfo CreateStartInfo(ProcessSpec spec, bool runningAsRoot, bool tiedToAppHost = true)
    {
        var startInfo = new ProcessStartInfo
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var switchUser = runningAsRoot && spec.RunAsUser is not null;
        if (tiedToAppHost && File.Exists(SetSid))
        {
            startInfo.FileName = SetSid;
            startInfo.ArgumentList.Add(SetPriv);
            startInfo.ArgumentList.Add("--pdeathsig");
            startInfo.ArgumentList.Add("TERM");
        }
        else if (switchUser)
        {
            startInfo.FileName = SetPriv;
        }
        if (switchUser)
        {
            foreach (var argument in new[] { "--reuid", spec.RunAsUser!, "--regid", spec.RunAsUser!, "--init-groups" })
            {
                startInfo.ArgumentList.Add(argument);
            }
        }
        if (startInfo.FileName.Length > 0)
        {
            startInfo.ArgumentList.Add("--");
            startInfo.ArgumentList.Add(spec.FileName);
        }
        else
        {
            startInfo.FileName = spec.FileName;
        }
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in spec.Environment)
        {
            startInfo.Environment[key] = value;
        }
        return startInfo;
    }

    private void Run()
    {
        foreach (var (startInfo, configure, result) in _queue.GetConsumingEnumerable())
        {
            try
            {
                var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
                configure(process);
                process.Start();
                result.SetResult(process);
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        }
    }

    public void Dispose() => _queue.CompleteAdding();
}
