using System.Runtime.InteropServices;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>POSIX signals and process trees, which .NET's Process cannot send or walk by itself.</summary>
public static partial class ProcessSignals
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>Running: it exists and is not a zombie (dead, waiting for its parent to read its exit status).</summary>
    public static bool IsAlive(int pid) => Kill(pid, 0) == 0 && State(pid) is not 'Z' and not 'X';

    /// <summary>Every descendant of a process, read from /proc, deepest last.</summary>
    public static IReadOnlyList<int> Descendants(int pid)
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var child) || ParentOf(child) is not { } parent)
            {
                continue;
            }
            if (!parents.TryGetValue(parent, out var children))
            {
                parents[parent] = children = [];
            }
            children.Add(child);
        }

        var result = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.TryDequeue(out var current))
        {
            foreach (var child in parents.GetValueOrDefault(current) ?? [])
            {
                result.Add(child);
                queue.Enqueue(child);
            }
        }
        return result;
    }

    private static int? ParentOf(int pid) =>
        StatFields(pid) is { } fields ? int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) : null;

    private static char? State(int pid) => StatFields(pid)?[0][0];

    /// <summary>
    /// The fields of /proc/&lt;pid&gt;/stat after the command name, starting with the state: the name may hold spaces
    /// and parentheses, so they are read after the last ')'.
    /// </summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
