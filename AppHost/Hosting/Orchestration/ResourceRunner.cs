using System.Diagnostics;

namespace CartoSelfHosted.AppHost.Hosting;

public static class ResourceStates
{
    public const string Waiting = "waiting";
    public const string Starting = "starting";
    public const string Running = "running";
    public const string Exited = "exited";
    public const string Restarting = "restarting";
    public const string Stopping = "stopping";
    public const string Stopped = "stopped";
    public const string FailedToStart = "failed-to-start";
}

/// <summary>
/// Runs one resource's process for the life of AppHost: waits for its dependencies, starts it, probes it until it
/// is ready, restarts it with backoff when it dies, and stops it (and every process it started) on request.
/// </summary>
public sealed class ResourceRunner(ExecutableResource resource, RunContext context, ProcessLauncher launcher, Action<string> report)
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan StableRun = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _startRequests = new(0);
    private Process? _process;
    private bool _stopRequested;

    public ExecutableResource Resource { get; } = resource;

    public LogBuffer Logs { get; } = new(Path.Combine(context.DataDirectory, "logs", resource.Name + ".log"));

    public string State { get; private set; } = ResourceStates.Waiting;

    public HealthState Health { get; private set; } = HealthState.Unknown;

    public int? ProcessId { get; private set; }

    public int Restarts { get; private set; }

    public int? LastExitCode { get; private set; }

    public DateTimeOffset? StartedAt { get; private set; }

    public string? Error { get; private set; }

    /// <summary>Completes the first time the resource answers its probe.</summary>
    public Task Ready => _ready.Task;

    public async Task RunAsync(IReadOnlyDictionary<Resource, ResourceRunner> runners, CancellationToken shutdown)
    {
        try
        {
            await Task.WhenAll(Resource.WaitsFor.Select(dependency => runners.TryGetValue(dependency, out var runner)
                ? runner.Ready
                : Task.CompletedTask)).WaitAsync(shutdown);
            await Resource.PrepareAsync(context, shutdown);
        }
        catch (OperationCanceledException)
        {
            State = ResourceStates.Stopped;
            return;
        }
        catch (Exception ex)
        {
            Fail(ex);
            return;
        }

        var backoff = TimeSpan.FromSeconds(1);
        while (!shutdown.IsCancellationRequested)
        {
            if (_stopRequested)
            {
                State = ResourceStates.Stopped;
                try
                {
                    await _startRequests.WaitAsync(shutdown);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                _stopRequested = false;
            }

            Process process;
            try
            {
                process = await StartProcessAsync();
            }
            catch (Exception ex)
            {
                Fail(ex);
                return;
            }
            // Started while AppHost began stopping, after the orchestrator stopped what was running: stop it here.
            if (shutdown.IsCancellationRequested)
            {
                await StopProcessAsync();
            }

            using var running = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
            var probing = ProbeWhileRunningAsync(running.Token);
            await process.WaitForExitAsync(CancellationToken.None);
            await running.CancelAsync();
            await probing;

            var ranFor = DateTimeOffset.UtcNow - StartedAt!.Value;
            LastExitCode = process.ExitCode;
            lock (_lock)
            {
                _process = null;
            }
            ProcessId = null;
            Health = HealthState.Unknown;
            process.Dispose();
            if (shutdown.IsCancellationRequested || _stopRequested)
            {
                continue;
            }

            State = ResourceStates.Exited;
            Logs.Add("apphost", $"exited with code {LastExitCode} after {ranFor.TotalSeconds:F1} s");
            report($"{Resource.Name} exited with code {LastExitCode}; restarting in {backoff.TotalSeconds:F0} s");
            backoff = ranFor > StableRun ? TimeSpan.FromSeconds(1) : backoff;
            State = ResourceStates.Restarting;
            Restarts++;
            try
            {
                await Task.Delay(backoff, shutdown);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
        State = ResourceStates.Stopped;
    }

    /// <summary>Stops the process at the dashboard's request; it stays stopped until <see cref="RequestStart"/>.</summary>
    public Task RequestStopAsync()
    {
        _stopRequested = true;
        return StopProcessAsync();
    }

    public void RequestStart()
    {
        if (_stopRequested && State == ResourceStates.Stopped)
        {
            _startRequests.Release();
        }
    }

    /// <summary>Asks the process to stop with its own signal; after the grace period, kills it and everything it started.</summary>
    public async Task StopProcessAsync()
    {
        Process? process;
        int pid;
        lock (_lock)
        {
            process = _process;
            if (process is null || process.HasExited)
            {
                return;
            }
            pid = process.Id;
        }
        State = ResourceStates.Stopping;
        var descendants = ProcessSignals.Descendants(pid);
        ProcessSignals.Send(pid, Resource.StopSignal);
        try
        {
            await process.WaitForExitAsync().WaitAsync(StopGrace);
        }
        catch (TimeoutException)
        {
            Logs.Add("apphost", $"did not stop within {StopGrace.TotalSeconds:F0} s; killing it");
            descendants = [.. descendants, .. ProcessSignals.Descendants(pid)];
            ProcessSignals.Send(pid, ProcessSignals.SIGKILL);
        }
        // Children that outlive their parent (a server's workers) must not be left behind.
        foreach (var child in descendants.Where(ProcessSignals.IsAlive))
        {
            ProcessSignals.Send(child, ProcessSignals.SIGKILL);
        }
    }

    private async Task<Process> StartProcessAsync()
    {
        State = ResourceStates.Starting;
        var spec = Resource.CreateProcessSpec(context);
        var process = await launcher.StartAsync(spec, context.IsRoot, created =>
        {
            created.OutputDataReceived += (_, line) => Logs.Add("stdout", line.Data);
            created.ErrorDataReceived += (_, line) => Logs.Add("stderr", line.Data);
        });
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Some servers (the Pub/Sub emulator's launcher) read standard input; give them an empty one.
        process.StandardInput.Close();
        lock (_lock)
        {
            _process = process;
        }
        ProcessId = process.Id;
        StartedAt = DateTimeOffset.UtcNow;
        Logs.Add("apphost", $"started pid {process.Id}: {spec.FileName} {string.Join(' ', spec.Arguments)}");
        return process;
    }

    private async Task ProbeWhileRunningAsync(CancellationToken running)
    {
        var ready = false;
        try
        {
            while (!running.IsCancellationRequested)
            {
                Health = await Resource.ProbeAsync(context, running);
                if (!ready && Health is HealthState.Healthy or HealthState.Degraded)
                {
                    ready = true;
                    if (!_ready.Task.IsCompleted)
                    {
                        await Resource.OnReadyAsync(context, running);
                        _ready.TrySetResult();
                    }
                    State = ResourceStates.Running;
                    Error = null;
                }
                await Task.Delay(ready ? HealthInterval : TimeSpan.FromMilliseconds(200), running);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            Logs.Add("apphost", $"readiness failed: {ex.Message}");
            report($"{Resource.Name}: {ex.Message}");
            Error = ex.Message;
        }
    }

    private void Fail(Exception ex)
    {
        State = ResourceStates.FailedToStart;
        Error = ex.Message;
        Logs.Add("apphost", $"failed to start: {ex.Message}");
        report($"{Resource.Name} failed to start: {ex.Message}");
    }
}
