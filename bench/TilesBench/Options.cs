using System.Globalization;

namespace CartoSelfHosted.TilesBench;

/// <summary><c>--name value</c> pairs.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Options Parse(IEnumerable<string> args)
    {
        var options = new Options();
        using var arguments = args.GetEnumerator();
        while (arguments.MoveNext())
        {
            var name = arguments.Current;
            if (!name.StartsWith("--", StringComparison.Ordinal) || !arguments.MoveNext())
            {
                throw new ArgumentException($"expected --name value, got '{name}'");
            }
            options._values[name[2..]] = arguments.Current;
        }
        return options;
    }

    public string Get(string name) =>
        _values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is missing");

    public string? Find(string name) => _values.GetValueOrDefault(name);

    public int Int(string name) => int.Parse(Get(name), CultureInfo.InvariantCulture);
}
