using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace CartoSelfHosted.Platform.Imports;

/// <summary>
/// Formats read through GDAL (Shapefile, GeoPackage, KML): <c>ogr2ogr</c> turns the file's first layer into
/// newline-delimited GeoJSON in EPSG:4326 on its standard output, which <see cref="GeoJsonFeatureReader"/> reads as it
/// comes. One write path for every format; GDAL only converts.
/// </summary>
public sealed class OgrFeatureReader : IFeatureReader
{
    private readonly Process _process;
    private readonly IFeatureReader _features;
    private readonly Task<string> _errors;

    private OgrFeatureReader(Process process, string format, ReaderLimits limits)
    {
        _process = process;
        Format = format;
        _errors = ReadTailAsync(process.StandardError);
        _features = GeoJsonFeatureReader.Open(process.StandardOutput.BaseStream, sequence: true, limits);
    }

    public string Format { get; }

    public IReadOnlyList<string> Fields => _features.Fields;

    public string? GeometrySource => "the layer's geometry (GDAL)";

    /// <summary>Names of the layers the file had beyond the first, which were not imported.</summary>
    public IReadOnlyList<string> SkippedLayers { get; private init; } = [];

    /// <summary>Starts converting <paramref name="path"/>'s first layer.</summary>
    public static OgrFeatureReader Open(string path, string format, ReaderLimits limits)
    {
        var (layers, hasSrs) = DescribeLayers(path);
        if (layers.Count == 0)
        {
            throw new ImportFormatException($"GDAL finds no layer in the {format} file.");
        }
        List<string> arguments = ["-f", "GeoJSONSeq", "/vsistdout/", path, layers[0], "-dim", "XY", "-lco", "RS=NO"];
        // A layer without a coordinate system (a Shapefile without its .prj) is taken as longitudes and latitudes:
        // the readers' range check refuses projected coordinates with a message that says so.
        arguments.AddRange(hasSrs ? ["-t_srs", "EPSG:4326"] : []);
        return new OgrFeatureReader(Start("ogr2ogr", arguments), format, limits) { SkippedLayers = layers.Skip(1).ToList() };
    }

    public bool TryRead([NotNullWhen(true)] out Feature? feature)
    {
        feature = null;
        try
        {
            if (_features.TryRead(out feature))
            {
                return true;
            }
        }
        catch (ImportFormatException) when (HasFailed())
        {
            // ogr2ogr stopped halfway, so its output ended early: its own reason is the one to give.
        }
        if (HasFailed())
        {
            throw new ImportFormatException($"GDAL could not read the {Format} file: {_errors.Result}");
        }
        return false;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        _features.Dispose();
        _process.Dispose();
    }

    private bool HasFailed()
    {
        _process.WaitForExit();
        return _process.ExitCode != 0;
    }

    /// <summary>The file's layer names, and whether the first one has a coordinate system.</summary>
    private static (List<string> Layers, bool HasSrs) DescribeLayers(string path)
    {
        using var process = Start("ogrinfo", ["-ro", "-so", "-al", "-nocount", "-noextent", path]);
        var errors = ReadTailAsync(process.StandardError);
        var lines = process.StandardOutput.ReadToEnd().Split('\n');
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new ImportFormatException($"GDAL cannot open the file: {errors.Result}");
        }
        var layers = new List<string>();
        var hasSrs = true;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("Layer name: ", StringComparison.Ordinal))
            {
                layers.Add(lines[i]["Layer name: ".Length..].TrimEnd('\r'));
            }
            else if (layers.Count == 1 && lines[i].StartsWith("Layer SRS WKT:", StringComparison.Ordinal) && i + 1 < lines.Length)
            {
                hasSrs = lines[i + 1].Trim() != "(unknown)";
            }
        }
        return (layers, hasSrs);
    }

    private static Process Start(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // GDAL reads no configuration of the user's, and never reaches the network on a file's behalf.
        start.Environment["GDAL_HTTP_TIMEOUT"] = "1";
        start.Environment["CPL_VSIL_CURL_ALLOWED_EXTENSIONS"] = ".none";
        return Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
    }

    /// <summary>The last few kilobytes a process wrote to its error stream: enough for its reason, bounded in memory.</summary>
    private static async Task<string> ReadTailAsync(StreamReader reader)
    {
        const int keep = 4096;
        var tail = new StringBuilder();
        var buffer = new char[1024];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            tail.Append(buffer, 0, read);
            if (tail.Length > 2 * keep)
            {
                tail.Remove(0, tail.Length - keep);
            }
        }
        var text = tail.ToString().Replace("ERROR 1: ", "", StringComparison.Ordinal).ReplaceLineEndings(" ").Trim();
        return text.Length > keep ? text[^keep..] : text;
    }
}
