namespace CartoSelfHosted.Platform.Imports;

/// <summary>
/// A file opened for import: its format told from its content (<see cref="FileFormats.Detect"/>), an archive
/// unpacked, and the reader of its features — native and streaming for CSV and GeoJSON, through GDAL for the rest
/// (Shapefile, GeoPackage, KML, TopoJSON).
/// </summary>
public sealed class ImportFile : IDisposable
{
    private readonly CountingStream? _counted;

    private ImportFile(string formatName, IFeatureReader reader, long bytesTotal, CountingStream? counted, IReadOnlyList<string> warnings)
    {
        FormatName = formatName;
        Reader = reader;
        BytesTotal = bytesTotal;
        _counted = counted;
        Warnings = warnings;
    }

    /// <summary>The format as a person names it: <c>csv</c>, <c>geojson</c>, <c>shapefile</c>, <c>geopackage</c>, <c>kml</c>…</summary>
    public string FormatName { get; }

    public IFeatureReader Reader { get; }

    /// <summary>The file's size, as uploaded.</summary>
    public long BytesTotal { get; }

    /// <summary>How much of the file is read; formats read through GDAL count only at their end.</summary>
    public long BytesRead => _counted?.BytesRead ?? 0;

    /// <summary>What a person should know about the file that did not stop its import.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Opens <paramref name="path"/>, named <paramref name="fileName"/> by whoever uploaded it; an archive is unpacked
    /// into <paramref name="workFolder"/>, which the caller deletes.
    /// </summary>
    /// <exception cref="ImportFormatException">The file is not one the platform imports, or not what its name says.</exception>
    public static ImportFile Open(string path, string fileName, string workFolder, ImportOptions options, CancellationToken cancellationToken)
    {
        var bytesTotal = new FileInfo(path).Length;
        var format = DetectFormat(path, fileName);
        if (format == FileFormat.Zip)
        {
            var dataset = ArchiveExtractor.ExtractDataset(path, workFolder, options, cancellationToken);
            var inner = dataset.EndsWith(".shp", StringComparison.OrdinalIgnoreCase)
                ? Through(OgrFeatureReader.Open(dataset, "shapefile", options.Readers), bytesTotal)
                : Open(dataset, Path.GetFileName(dataset), Path.Combine(workFolder, "inner"), options, cancellationToken);
            return new ImportFile("zip/" + inner.FormatName, inner.Reader, bytesTotal, inner._counted, inner.Warnings);
        }
        if (format is FileFormat.GeoPackage or FileFormat.Kml or FileFormat.TopoJson)
        {
            var name = format switch { FileFormat.Kml => "kml", FileFormat.TopoJson => "topojson", _ => "geopackage" };
            return Through(OgrFeatureReader.Open(path, name, options.Readers), bytesTotal);
        }

        var counted = new CountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));
        try
        {
            IFeatureReader reader = format == FileFormat.Csv
                ? CsvFeatureReader.Open(counted, options.Readers)
                : GeoJsonFeatureReader.Open(counted, format == FileFormat.GeoJsonSeq, options.Readers);
            return new ImportFile(reader.Format, reader, bytesTotal, counted, []);
        }
        catch
        {
            counted.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Reader.Dispose();
        _counted?.Dispose();
    }

    private static ImportFile Through(OgrFeatureReader reader, long bytesTotal) =>
        new(reader.Format, reader, bytesTotal, null,
            reader.SkippedLayers.Count == 0 ? [] : [$"The file has {reader.SkippedLayers.Count + 1} layers; only the first was imported (not {string.Join(", ", reader.SkippedLayers)})."]);

    private static FileFormat DetectFormat(string path, string fileName)
    {
        using var file = File.OpenRead(path);
        var head = new byte[FileFormats.HeadLength];
        var length = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return FileFormats.Detect(head.AsSpan(0, length), fileName);
    }

    /// <summary>Counts what is read through it, for the job's progress.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        private long _bytesRead;

        public long BytesRead => Volatile.Read(ref _bytesRead);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }

        private int Count(int read)
        {
            Interlocked.Add(ref _bytesRead, read);
            return read;
        }
    }
}
