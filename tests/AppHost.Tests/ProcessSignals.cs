using System.Runtime.InteropServices;

namespace CartoSelfHosted.AppHost.Tests;

/// <summary>Signals and the process tree, as the kernel has them: what a crash, Ctrl+C or the OOM killer does.</summary>
public static class ProcessSignals
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public static void Send(int pid, int signal) => Kill(pid, signal);

    /// <summary>kill -9 of one process.</summary>
    public static void Kill9(int pid) => Send(pid, SIGKILL);

    /// <summary>
    /// Alive: any of its threads still runs or is still exiting. Not the main thread's state alone: after a kill -9 it is a
    /// zombie while the other threads are still on their way out, and they hold the process's files — a listening socket
    /// that takes connections and never answers them — until the last one has gone.
    /// </summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            return Directory.EnumerateDirectories($"/proc/{pid}/task")
                .Select(task => ReadOrEmpty(Path.Combine(task, "stat")))
                .Any(stat => stat.Length > 0 && stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X'));
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The processes whose parent is <paramref name="pid"/>, from each one's stat (<c>pid (comm) state ppid …</c>).</summary>
    public static IEnumerable<int> Children(int pid) =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => (Pid: int.Parse(name!, System.Globalization.CultureInfo.InvariantCulture), Stat: ReadOrEmpty($"/proc/{name}/stat")))
            .Where(process => process.Stat.Length > 0
                && process.Stat[(process.Stat.LastIndexOf(')') + 2)..].Split(' ')[1] == pid.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Select(process => process.Pid)
            .ToList();

    public static IEnumerable<int> Descendants(int pid) => Children(pid).SelectMany(child => Descendants(child).Prepend(child));

    public static string CommandLine(int pid) => ReadOrEmpty($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
