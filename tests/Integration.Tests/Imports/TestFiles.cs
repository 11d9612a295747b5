using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace CartoSelfHosted.Integration.Tests.Imports;

/// <summary>The files the import tests upload: one small dataset of places in every format, made here (GDAL writes the ones it must).</summary>
public static class TestFiles
{
    public const int Places = 1500;

    /// <summary>Places along a spiral, with a name, a population (an integer), a share (a double), a date and a flag.</summary>
    public static string PlacesGeoJson(int count = Places)
    {
        var text = new StringBuilder("{\"type\":\"FeatureCollection\",\"features\":[\n");
        for (var i = 0; i < count; i++)
        {
            var (lon, lat) = Position(i, count);
            var properties = string.Create(CultureInfo.InvariantCulture,
                $"\"name\":\"Place {i}\",\"population\":{i * 1000},\"share\":{i / 7.0:R},\"founded\":\"{new DateOnly(1800, 1, 1).AddDays(i):yyyy-MM-dd}\",\"capital\":{(i % 50 == 0 ? "true" : "false")}");
            var coordinates = string.Create(CultureInfo.InvariantCulture, $"[{lon:R},{lat:R}]");
            text.Append("{\"type\":\"Feature\",\"properties\":{").Append(properties)
                .Append("},\"geometry\":{\"type\":\"Point\",\"coordinates\":").Append(coordinates).Append("}}");
            text.Append(i + 1 < count ? ",\n" : "\n");
        }
        return text.Append("]}\n").ToString();
    }

    public static string PlacesCsv(int count = Places)
    {
        var text = new StringBuilder("name,population,share,founded,capital,latitude,longitude\n");
        for (var i = 0; i < count; i++)
        {
            var (lon, lat) = Position(i, count);
            text.Append(CultureInfo.InvariantCulture,
                $"\"Place {i}\",{i * 1000},{i / 7.0:R},{new DateOnly(1800, 1, 1).AddDays(i):yyyy-MM-dd},{(i % 50 == 0 ? "true" : "false")},{lat:R},{lon:R}\n");
        }
        return text.ToString();
    }

    /// <summary>The bounds of <see cref="PlacesGeoJson"/>'s points.</summary>
    public static (double MinLon, double MinLat, double MaxLon, double MaxLat) PlacesBounds(int count = Places)
    {
        var positions = Enumerable.Range(0, count).Select(i => Position(i, count)).ToList();
        return (positions.Min(p => p.Lon), positions.Min(p => p.Lat), positions.Max(p => p.Lon), positions.Max(p => p.Lat));
    }

    private static (double Lon, double Lat) Position(int i, int count)
    {
        var angle = i * 0.1;
        var radius = 1 + 60.0 * i / count;
        return (Math.Round(radius * Math.Cos(angle) * 2.5, 6), Math.Round(radius * Math.Sin(angle) * 1.4, 6));
    }

    /// <summary>The places converted by ogr2ogr to <paramref name="driver"/> (GPKG, KML, KMZ, "ESRI Shapefile" zipped with its sidecar files).</summary>
    public static byte[] ConvertedPlaces(string driver, string extension)
    {
        var folder = Directory.CreateTempSubdirectory("carto-import-files-").FullName;
        try
        {
            var source = Path.Combine(folder, "places.geojson");
            File.WriteAllText(source, PlacesGeoJson());
            var target = Path.Combine(folder, "out", "places" + extension);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Run("ogr2ogr", "-f", driver == "KMZ" ? "KML" : driver, driver == "KMZ" ? Path.ChangeExtension(target, ".kml") : target, source);
            if (driver is not ("ESRI Shapefile" or "KMZ"))
            {
                return File.ReadAllBytes(target);
            }
            // A zipped Shapefile is its files side by side; a KMZ is a zipped KML.
            var zip = Path.Combine(folder, "places.zip");
            ZipFile.CreateFromDirectory(Path.GetDirectoryName(target)!, zip);
            return File.ReadAllBytes(zip);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A ZIP whose one file is <paramref name="megabytes"/> MB of zeros: it compresses about a thousand times.</summary>
    public static byte[] ZipBomb(int megabytes)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = archive.CreateEntry("data.csv", CompressionLevel.Optimal).Open();
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < megabytes; i++)
            {
                entry.Write(zeros);
            }
        }
        return buffer.ToArray();
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} failed: {errors}");
    }
}

/// <summary>A body of <paramref name="length"/> bytes made as it is sent, never held whole: large uploads without large arrays.</summary>
public sealed class GeneratedContent(long length, Func<long, byte> byteAt) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
    {
        var buffer = new byte[64 * 1024];
        for (long sent = 0; sent < length;)
        {
            var count = (int)Math.Min(buffer.Length, length - sent);
            for (var i = 0; i < count; i++)
            {
                buffer[i] = byteAt(sent + i);
            }
            await stream.WriteAsync(buffer.AsMemory(0, count));
            sent += count;
        }
    }

    protected override bool TryComputeLength(out long length1)
    {
        length1 = length;
        return true;
    }
}
