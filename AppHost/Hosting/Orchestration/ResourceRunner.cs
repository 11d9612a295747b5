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
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _startRequests = new(0);
    // The running process as a stop sees it: its pid and the task of its exit, never the Process object, which the
    // run loop disposes as soon as the process has exited.
    private RunningProcess? _running;
    private volatile bool _stopRequested;
    private volatile bool _restartRequested;

    public ExecutableResource Resource { get; } = resource;

    public LogBuffer Logs { get; } = new(Path.Combine(context.DataDirectory, "logs", resource.Name + ".log"));

    public string State { get; private set; } = ResourceStates.Waiting;

    public HealthState Health { get; private set; } = HealthState.Unknown;

    public int? ProcessId => _running?.Pid;

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
        }
        catch (OperationCanceledException)
        {
            State = ResourceStates.Stopped;
            return;
        }

        var prepared = false;
        var backoff = InitialBackoff;
        while (!shutdown.IsCancellationRequested)
        {
            // Stopped from the dashboard, or failed to start: nothing happens until the dashboard says start.
            if (_stopRequested || State == ResourceStates.FailedToStart)
            {
                if (_stopRequested)
                {
                    State = ResourceStates.Stopped;
                }
                try
                {
                    await _startRequests.WaitAsync(shutdown);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                _stopRequested = false;
                Error = null;
            }

            Process process;
            try
            {
                if (!prepared)
                {
                    await Resource.PrepareAsync(context, shutdown);
                    prepared = true;
                }
                process = await StartProcessAsync();
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception ex)
            {
                Fail(ex);
                continue;
            }
            // Started while a stop was asked for (AppHost stopping, or the dashboard), after the stop found nothing
            // running: stop it here.
            if (shutdown.IsCancellationRequested || _stopRequested)
            {
                await StopProcessAsync();
            }

            using var running = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
            var probing = ProbeWhileRunningAsync(running.Token);
            await _running!.Exited;
            await running.CancelAsync();
            await probing;

            var ranFor = DateTimeOffset.UtcNow - StartedAt!.Value;
            LastExitCode = process.ExitCode;
            lock (_lock)
            {
                _running = null;
            }
            Health = HealthState.Unknown;
            process.Dispose();
            if (shutdown.IsCancellationRequested || _stopRequested)
            {
                continue;
            }

            // A restart asked for from the dashboard happens at once; a crash waits its backoff, which grows while the
            // process keeps dying soon after starting and starts over once it has run for a while.
            var restartRequested = _restartRequested;
            _restartRequested = false;
            if (ranFor > StableRun)
            {
                backoff = InitialBackoff;
            }
            var delay = restartRequested ? TimeSpan.Zero : backoff;
            State = ResourceStates.Exited;
            Restarts++;
            Logs.Add("apphost", $"exited with code {LastExitCode} after {ranFor.TotalSeconds:F1} s; restarting in {delay.TotalSeconds:F0} s");
            if (!restartRequested)
            {
                report($"{Resource.Name} exited with code {LastExitCode}; restarting in {delay.TotalSeconds:F0} s");
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
            try
            {
                await Task.Delay(delay, shutdown);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        State = ResourceStates.Stopped;
    }

    /// <summary>Stops the process at the dashboard's request; it stays stopped until <see cref="RequestStart"/>.</summary>
    public Task RequestStopAsync()
    {
        _stopRequested = true;
        return StopProcessAsync();
    }

    /// <summary>Starts a resource stopped from the dashboard, or tries again one that failed to start.</summary>
    public void RequestStart()
    {
        if ((_stopRequested && State == ResourceStates.Stopped) || State == ResourceStates.FailedToStart)
        {
            _startRequests.Release();
        }
    }

    /// <summary>Stops the process and starts it again at once; the dashboard counts it as a restart.</summary>
    public Task RequestRestartAsync()
    {
        _restartRequested = true;
        return StopProcessAsync();
    }

    /// <summary>Asks the process to stop with its own signal; after the grace period, kills it and everything it started.</summary>
    public async Task StopProcessAsync()
    {
        RunningProcess? running;
        lock (_lock)
        {
            running = _running;
        }
        if (running is null || running.Exited.IsCompleted)
        {
            return;
        }
        State = ResourceStates.Stopping;
        var descendants = ProcessSignals.Descendants(running.Pid);
        ProcessSignals.Send(running.Pid, Resource.StopSignal);
        try
        {
            await running.Exited.WaitAsync(StopGrace);
        }
        catch (TimeoutException)
        {
            Logs.Add("apphost", $"did not stop within {StopGrace.TotalSeconds:F0} s; killing it");
            descendants = [.. descendants, .. ProcessSignals.Descendants(running.Pid)];
            ProcessSignals.Send(running.Pid, ProcessSignals.SIGKILL);
            await running.Exited.WaitAsync(StopGrace).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        // Children that outlive their parent (a server's workers) must not be left behind.
        foreach (var child in descendants.Where(ProcessSignals.IsAlive))
        {
            ProcessSignals.Send(child, ProcessSignals.SIGKILL);
        }
    }

    private async Task<Process> StartProcessAsync()
    {
        State = Restarts == 0 ? ResourceStates.Starting : ResourceStates.Restarting;
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
            _running = new RunningProcess(process.Id, process.WaitForExitAsync());
        }
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
                    if (!_ready.Task.IsCompleted && !await TryOnReadyAsync(running))
                    {
                        await Task.Delay(TimeSpan.FromSeconds(1), running);
                        continue;
                    }
                    ready = true;
                    _ready.TrySetResult();
                    State = ResourceStates.Running;
                    Error = null;
                }
                await Task.Delay(ready ? HealthInterval : TimeSpan.FromMilliseconds(200), running);
            }
        }
        catch (OperationCanceledException)
        {
            // The process exited or AppHost is stopping: probing ends with it.
        }
    }

    /// <summary>The resource's first-ready work; a failure is shown and tried again, never left to hang its dependents.</summary>
    private async Task<bool> TryOnReadyAsync(CancellationToken running)
    {
        try
        {
            await Resource.OnReadyAsync(context, running);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Error = ex.Message;
            Logs.Add("apphost", $"getting ready failed, trying again: {ex.Message}");
            report($"{Resource.Name}: getting ready failed, trying again: {ex.Message}");
            return false;
        }
    }

    private void Fail(Exception ex)
    {
        State = ResourceStates.FailedToStart;
        Error = ex.Message;
        Logs.Add("apphost", $"failed to start: {ex.Message}");
        report($"{Resource.Name} failed to start: {ex.Message} (what waits for it waits; fix it and press start on the dashboard)");
    }
}

/// <summary>A started process: its pid, and a task that completes when it has exited.</summary>
internal sealed record RunningProcess(int Pid, Task Exited);
