using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace CartoSelfHosted.Platform.Imports;

/// <summary>
/// Reads a CSV file (RFC 4180, with its delimiter and encoding detected) as features: the first record names the
/// fields, every other record is a feature whose values are all strings. Geometries come from latitude and longitude
/// columns or from a column of WKT, hex WKB or GeoJSON. The rules are in this folder's README.
/// </summary>
/// <remarks>
/// The file is decoded in blocks into one pooled char buffer, and records are parsed from spans of it: the only
/// allocations per record are its field strings and the feature. A record cut by the end of the buffer is parsed
/// again from its start once the buffer has been refilled, so the buffer only ever holds one unfinished record, and
/// never one longer than <see cref="ReaderLimits.MaxCsvRecordBytes"/>. The stream stays the caller's to dispose.
/// The per-row methods are optimized from their first call: an import is often the first large file a worker process
/// reads, and with tiered compilation its first hundred thousand rows would run in unoptimized code.
/// </remarks>
public sealed class CsvFeatureReader : IFeatureReader
{
    /// <summary>How much of the file decides its encoding, and must not hold a NUL byte.</summary>
    private const int SampleBytes = 64 * 1024;

    /// <summary>How many lines decide the delimiter.</summary>
    private const int DelimiterSampleLines = 20;

    /// <summary>Free room the char buffer always gets before it is refilled; past the record limit it grows no more.</summary>
    private const int MinimumFreeChars = 4096;

    /// <summary>How far a geometry column's first value is looked for when the file is opened, in rows and in chars.</summary>
    private const int LookAheadRows = 1000;
    private const int LookAheadChars = 1024 * 1024;

    private static readonly string[] LatitudeNames = ["latitude", "lat"];
    private static readonly string[] LongitudeNames = ["longitude", "lon", "lng", "long"];
    private static readonly string[] GeometryColumnNames = ["the_geom", "geom", "geometry", "wkt", "wkb", "geojson", "shape", "geometry_wkt", "wkt_geom"];
    private static readonly string[] WktKeywords = ["POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION"];

    private readonly Stream _stream;
    private readonly Decoder _decoder;
    private readonly int _maxRecordChars;
    private readonly byte[] _bytes;
    private int _bytesStart;
    private int _bytesEnd;
    private bool _streamEnded;

    private char[] _chars;
    private bool _charsFromPool = true;
    private int _charsStart;
    private int _charsEnd;
    private bool _inputEnded;

    private char _delimiter = ',';

    /// <summary>The physical line (1-based) the next unread character is on.</summary>
    private long _line = 1;
    private long _recordLine;

    /// <summary>Where the quoted field that the buffer ended in opened; 0 when the buffer did not end in one.</summary>
    private long _openQuoteLine;

    /// <summary>The fields of the record just parsed: the first <see cref="_storedFieldLimit"/> are kept, the others only counted.</summary>
    private string?[] _fieldTexts = new string?[16];
    private int _fieldCount;
    private int _storedFieldLimit;
    private char[] _unquoted = [];

    private readonly List<string> _fields = [];
    private readonly CsvGeometryColumn _geometryParser = new();
    private int _headerCount;

    private int _geometryIndex = -1;
    private string? _geometryColumn;
    private GeometryText _geometryText;
    private int _latitudeIndex = -1;
    private int _longitudeIndex = -1;

    /// <summary>Rows read while looking for the geometry column's first value, to be returned first.</summary>
    private readonly Queue<(string?[] Texts, long Line)> _lookAhead = new();

    private bool _disposed;

    private enum GeometryText : byte
    {
        Undecided,
        Wkt,
        WkbHex,
        GeoJson,
    }

    private enum RecordStatus : byte
    {
        Complete,
        Blank,
        NeedMore,
        End,
    }

    private CsvFeatureReader(Stream stream, ReaderLimits limits, Encoding encoding, byte[] sample, int sampleStart, int sampleEnd, bool streamEnded)
    {
        _stream = stream;
        _decoder = encoding.GetDecoder();
        // The buffer holds the limit and room past it: at most the largest array there can be.
        _maxRecordChars = Math.Min(limits.MaxCsvRecordBytes, Array.MaxLength - MinimumFreeChars);
        _bytes = sample;
        _bytesStart = sampleStart;
        _bytesEnd = sampleEnd;
        _streamEnded = streamEnded;
        _chars = ArrayPool<char>.Shared.Rent(SampleBytes);
        _storedFieldLimit = limits.MaxFields;
    }

    public string Format => "csv";

    public IReadOnlyList<string> Fields => _fields;

    public string? GeometrySource { get; private set; }

    /// <summary>Opens the CSV file <paramref name="stream"/> holds: reads its header, and enough to decide its encoding and delimiter.</summary>
    /// <exception cref="ImportFormatException">The file is not CSV text with a header.</exception>
    public static CsvFeatureReader Open(Stream stream, ReaderLimits limits)
    {
        var sample = new byte[SampleBytes];
        var length = stream.ReadAtLeast(sample, sample.Length, throwOnEndOfStream: false);
        var streamEnded = length < sample.Length;
        var (encoding, start) = DetectEncoding(sample.AsSpan(0, length), mayBeCut: !streamEnded);
        var reader = new CsvFeatureReader(stream, limits, encoding, sample, start, length, streamEnded);
        try
        {
            reader.ReadHeader(limits.MaxFields);
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryRead([NotNullWhen(true)] out Feature? feature)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_lookAhead.TryDequeue(out var row))
        {
            feature = ToFeature(row.Texts, row.Line);
            return true;
        }
        if (!ReadRow())
        {
            feature = null;
            return false;
        }
        feature = ToFeature(_fieldTexts, _recordLine);
        return true;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        ReturnChars();
        _chars = [];
    }

    /// <summary>
    /// UTF-8 when the file says so with a byte order mark or its first 64 KB are valid UTF-8 (a character cut at the
    /// edge of those is fine); Latin-1 otherwise, the encoding of old exports, in which every byte is a character.
    /// </summary>
    private static (Encoding Encoding, int Start) DetectEncoding(ReadOnlySpan<byte> sample, bool mayBeCut)
    {
        if (sample.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            CheckIsText(sample);
            return (Encoding.UTF8, 3);
        }
        if (sample.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || sample.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            throw new ImportFormatException("the file is UTF-16 text, which is not read: save it as UTF-8 and upload it again");
        }
        CheckIsText(sample);
        if (mayBeCut)
        {
            sample = WithoutCutCharacter(sample);
        }
        return (Utf8.IsValid(sample) ? Encoding.UTF8 : Encoding.Latin1, 0);
    }

    private static void CheckIsText(ReadOnlySpan<byte> sample)
    {
        if (sample.Contains((byte)0))
        {
            throw new ImportFormatException(
                "the file is not text (it holds NUL bytes): upload CSV as UTF-8 or Latin-1 text, not a spreadsheet, archive or UTF-16 file");
        }
    }

    /// <summary><paramref name="bytes"/> without the start of a UTF-8 sequence its end cuts.</summary>
    private static ReadOnlySpan<byte> WithoutCutCharacter(ReadOnlySpan<byte> bytes)
    {
        for (var back = 1; back <= Math.Min(3, bytes.Length); back++)
        {
            var b = bytes[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }
            var sequenceLength = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return sequenceLength > back ? bytes[..^back] : bytes;
        }
        return bytes;
    }

    private void ReadHeader(int maxFields)
    {
        ReadMore();
        _delimiter = DetectDelimiter(_chars.AsSpan(0, _charsEnd), _inputEnded);
        if (!ReadRecord())
        {
            throw new ImportFormatException("the file is empty: a CSV file starts with a header line naming its columns");
        }
        if (_fieldCount > maxFields)
        {
            throw new ImportFormatException($"the header has {_fieldCount} columns; at most {maxFields} are read", Location(_recordLine));
        }
        _headerCount = _fieldCount;
        var names = new string[_headerCount];
        for (var i = 0; i < _headerCount; i++)
        {
            var name = _fieldTexts[i]?.Trim();
            names[i] = string.IsNullOrEmpty(name) ? $"column_{i + 1}" : name;
        }
        _storedFieldLimit = _headerCount;
        Array.Resize(ref _fieldTexts, _headerCount);
        ChooseGeometry(names);
        for (var i = 0; i < names.Length; i++)
        {
            if (i != _geometryIndex)
            {
                _fields.Add(names[i]);
            }
        }
    }

    /// <summary>
    /// The delimiter among , ; tab and | that each of the first lines has as many times as the first, and the most
    /// often; else the one the header has most; else the comma. Delimiters inside quotes do not count.
    /// </summary>
    private static char DetectDelimiter(ReadOnlySpan<char> text, bool complete)
    {
        ReadOnlySpan<char> candidates = [',', ';', '\t', '|'];
        Span<int> firstLine = stackalloc int[candidates.Length];
        Span<int> line = stackalloc int[candidates.Length];
        Span<bool> consistent = [true, true, true, true];
        var lines = 0;
        var lineHasText = false;
        var inQuotes = false;
        for (var i = 0; i <= text.Length && lines < DelimiterSampleLines; i++)
        {
            var atEnd = i == text.Length;
            var c = atEnd ? '\n' : text[i];
            if (c == '"')
            {
                inQuotes = !inQuotes;
            }
            else if (!inQuotes && c is '\r' or '\n')
            {
                // A line the sample cuts counts only when it is the first: its counts so far are all there is.
                if (lineHasText && (!atEnd || complete || lines == 0))
                {
                    for (var k = 0; k < candidates.Length; k++)
                    {
                        if (lines == 0)
                        {
                            firstLine[k] = line[k];
                        }
                        else if (line[k] != firstLine[k])
                        {
                            consistent[k] = false;
                        }
                    }
                    lines++;
                }
                line.Clear();
                lineHasText = false;
                continue;
            }
            if (!atEnd)
            {
                lineHasText = true;
                if (!inQuotes)
                {
                    var index = candidates.IndexOf(c);
                    if (index >= 0)
                    {
                        line[index]++;
                    }
                }
            }
        }
        var best = -1;
        for (var k = 0; k < candidates.Length; k++)
        {
            if (consistent[k] && firstLine[k] > 0 && (best < 0 || firstLine[k] > firstLine[best]))
            {
                best = k;
            }
        }
        if (best < 0)
        {
            for (var k = 0; k < candidates.Length; k++)
            {
                if (firstLine[k] > 0 && (best < 0 || firstLine[k] > firstLine[best]))
                {
                    best = k;
                }
            }
        }
        return best < 0 ? ',' : candidates[best];
    }

    /// <summary>
    /// A column named like a geometry (the_geom, wkt…) whose first value looks like one; else latitude and longitude
    /// columns. The geometry column's first value is looked for in the rows ahead, which are kept for
    /// <see cref="TryRead"/>.
    /// </summary>
    private void ChooseGeometry(string[] names)
    {
        var geometryIndex = IndexOfName(names, GeometryColumnNames);
        if (geometryIndex >= 0 && IsGeometryColumn(geometryIndex))
        {
            _geometryIndex = geometryIndex;
            _geometryColumn = names[geometryIndex];
            GeometrySource = GeometrySourceOf(_geometryText, _geometryColumn);
            return;
        }
        var latitude = IndexOfName(names, LatitudeNames);
        var longitude = IndexOfName(names, LongitudeNames);
        if (latitude < 0 || longitude < 0)
        {
            // x and y are as often plain numbers as coordinates: only both together mean a point.
            latitude = IndexOfName(names, ["y"]);
            longitude = IndexOfName(names, ["x"]);
        }
        if (latitude >= 0 && longitude >= 0)
        {
            _latitudeIndex = latitude;
            _longitudeIndex = longitude;
            GeometrySource = "latitude, longitude";
        }
    }

    private static int IndexOfName(string[] names, string[] wanted)
    {
        for (var i = 0; i < names.Length; i++)
        {
            foreach (var name in wanted)
            {
                if (names[i].Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }
        }
        return -1;
    }

    /// <summary>
    /// Whether the column at <paramref name="index"/> holds geometries, by its first value; rows read to find it wait in
    /// <see cref="_lookAhead"/>. A column with no value in the rows looked at is taken for a geometry column.
    /// </summary>
    private bool IsGeometryColumn(int index)
    {
        var chars = 0L;
        while (_lookAhead.Count < LookAheadRows && chars < LookAheadChars && ReadRow())
        {
            var texts = (string?[])_fieldTexts.Clone();
            _lookAhead.Enqueue((texts, _recordLine));
            foreach (var text in texts)
            {
                chars += text?.Length ?? 0;
            }
            var value = texts[index];
            if (!string.IsNullOrWhiteSpace(value))
            {
                _geometryText = GeometryTextOf(value);
                return _geometryText != GeometryText.Undecided;
            }
        }
        return true;
    }

    private static string GeometrySourceOf(GeometryText text, string column) => text switch
    {
        GeometryText.Wkt => $"WKT column {column}",
        GeometryText.WkbHex => $"WKB column {column}",
        GeometryText.GeoJson => $"GeoJSON column {column}",
        _ => $"geometry column {column}",
    };

    /// <summary>What a geometry column's value is written in, by its start; <see cref="GeometryText.Undecided"/> when it is none of them.</summary>
    private static GeometryText GeometryTextOf(string value)
    {
        var text = value.AsSpan().Trim();
        if (text.StartsWith('{'))
        {
            return GeometryText.GeoJson;
        }
        if (text.StartsWith("SRID=", StringComparison.OrdinalIgnoreCase))
        {
            return GeometryText.Wkt;
        }
        foreach (var keyword in WktKeywords)
        {
            if (text.StartsWith(keyword, StringComparison.OrdinalIgnoreCase)
                && (text.Length == keyword.Length || text[keyword.Length] == '(' || char.IsWhiteSpace(text[keyword.Length])))
            {
                return GeometryText.Wkt;
            }
        }
        // The shortest WKB geometry, an empty collection, is 9 bytes; the first says the byte order.
        if (text.Length >= 18 && text.Length % 2 == 0 && text[0] == '0' && text[1] is '0' or '1' && !text.ContainsAnyExcept(HexDigits))
        {
            return GeometryText.WkbHex;
        }
        return GeometryText.Undecided;
    }

    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Feature ToFeature(string?[] texts, long line)
    {
        var values = new FieldValue[_fields.Count];
        var target = 0;
        for (var i = 0; i < _headerCount; i++)
        {
            if (i != _geometryIndex)
            {
                var text = texts[i];
                values[target++] = text is null ? FieldValue.Null : FieldValue.String(text);
            }
        }
        GeometryValue? geometry = null;
        if (_geometryIndex >= 0)
        {
            geometry = ReadGeometryText(texts[_geometryIndex], line);
        }
        else if (_latitudeIndex >= 0)
        {
            geometry = ReadLatitudeLongitude(texts[_latitudeIndex], texts[_longitudeIndex], line);
        }
        return new Feature(values, geometry);
    }

    private GeometryValue? ReadGeometryText(string? text, long line)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        if (_geometryText == GeometryText.Undecided)
        {
            _geometryText = GeometryTextOf(text);
            if (_geometryText == GeometryText.Undecided)
            {
                throw new ImportFormatException($"{_geometryColumn} '{Shorten(text)}' is neither WKT, hex WKB nor GeoJSON", Location(line));
            }
            GeometrySource = GeometrySourceOf(_geometryText, _geometryColumn!);
        }
        try
        {
            return _geometryText switch
            {
                GeometryText.Wkt => _geometryParser.ParseWkt(text),
                GeometryText.WkbHex => _geometryParser.ParseWkbHex(text),
                _ => _geometryParser.ParseGeoJson(text),
            };
        }
        catch (FormatException e)
        {
            var written = _geometryText switch
            {
                GeometryText.Wkt => "WKT",
                GeometryText.WkbHex => "hex WKB",
                _ => "a GeoJSON geometry",
            };
            throw new ImportFormatException($"{_geometryColumn} '{Shorten(text)}' is not {written} that can be read: {e.Message}", Location(line), e);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private GeometryValue? ReadLatitudeLongitude(string? latitudeText, string? longitudeText, long line)
    {
        if (string.IsNullOrWhiteSpace(latitudeText) || string.IsNullOrWhiteSpace(longitudeText))
        {
            return null;
        }
        var latitude = ReadCoordinate(latitudeText, "latitude", 90, line);
        var longitude = ReadCoordinate(longitudeText, "longitude", 180, line);
        return _geometryParser.Point(longitude, latitude);
    }

    private static double ReadCoordinate(string text, string name, double limit, long line)
    {
        var isNumber = TryReadPlainDecimal(text, out var value)
            || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            // A decimal comma, as semicolon-delimited files from much of Europe write them.
            || (text.Count(c => c == ',') == 1 && !text.Contains('.')
                && double.TryParse(text.Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture, out value));
        if (!isNumber || !double.IsFinite(value))
        {
            throw new ImportFormatException($"{name} '{Shorten(text)}' is not a number", Location(line));
        }
        if (Math.Abs(value) > limit)
        {
            throw new ImportFormatException($"{name} {text.Trim()} is out of range: it must be between -{limit} and {limit}", Location(line));
        }
        return value;
    }

    /// <summary>
    /// A coordinate written as digits with an optional minus and point, and at most 15 digits, as nearly all are:
    /// read here in a fraction of double.TryParse's time, which counts at two per row. Exact: the digits and the power
    /// of ten are both exact doubles, and IEEE division rounds their quotient correctly.
    /// </summary>
    private static bool TryReadPlainDecimal(string text, out double value)
    {
        value = 0;
        var start = text.StartsWith('-') ? 1 : 0;
        long digits = 0;
        var digitCount = 0;
        var fractionDigits = -1;
        for (var i = start; i < text.Length; i++)
        {
            var digit = (uint)(text[i] - '0');
            if (digit <= 9)
            {
                if (++digitCount > 15)
                {
                    return false;
                }
                digits = digits * 10 + digit;
                if (fractionDigits >= 0)
                {
                    fractionDigits++;
                }
            }
            else if (text[i] != '.' || fractionDigits >= 0)
            {
                return false;
            }
            else
            {
                fractionDigits = 0;
            }
        }
        if (digitCount == 0)
        {
            return false;
        }
        value = digits / PowersOfTen[Math.Max(fractionDigits, 0)];
        value = start == 1 ? -value : value;
        return true;
    }

    private static readonly double[] PowersOfTen = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static string Location(long line) => "line " + line.ToString(CultureInfo.InvariantCulture);

    /// <summary>The next row, checked against the header, into <see cref="_fieldTexts"/>; false at the end of the file.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool ReadRow()
    {
        if (!ReadRecord())
        {
            return false;
        }
        if (_fieldCount != _headerCount)
        {
            var problem = $"the row has {_fieldCount} field{(_fieldCount == 1 ? "" : "s")} but the header has {_headerCount}";
            if (_fieldCount < _headerCount)
            {
                problem += "; every row needs a field for each column, empty ones too (a,,c)";
            }
            else
            {
                problem += "; is a value with a delimiter in it missing its quotes?";
            }
            throw new ImportFormatException(problem, Location(_recordLine));
        }
        return true;
    }

    /// <summary>The next record that is not a blank line, into <see cref="_fieldTexts"/>; false at the end of the file.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool ReadRecord()
    {
        while (true)
        {
            var data = _chars.AsSpan(_charsStart, _charsEnd - _charsStart);
            switch (ParseRecord(data, _inputEnded, out var consumed, out var length, out var lineBreaks))
            {
                case RecordStatus.Complete:
                    if (length > _maxRecordChars)
                    {
                        throw TooLong(_line);
                    }
                    _recordLine = _line;
                    _line += 1 + lineBreaks;
                    _charsStart += consumed;
                    return true;
                case RecordStatus.Blank:
                    _line++;
                    _charsStart += consumed;
                    break;
                case RecordStatus.NeedMore:
                    if (data.Length > _maxRecordChars)
                    {
                        throw TooLong(_line);
                    }
                    ReadMore();
                    break;
                default:
                    return false;
            }
        }
    }

    private ImportFormatException TooLong(long line)
    {
        var limit = _maxRecordChars % (1024 * 1024) == 0 ? $"{_maxRecordChars / (1024 * 1024)} MB"
            : _maxRecordChars % 1024 == 0 ? $"{_maxRecordChars / 1024} KB"
            : $"{_maxRecordChars} characters";
        return _openQuoteLine > 0
            ? new ImportFormatException(
                $"the record is longer than {limit}: the quoted field opened on line {_openQuoteLine} runs on, is its closing quote missing?",
                Location(line))
            : new ImportFormatException($"the record is longer than {limit}; is this a CSV file with a line per row?", Location(line));
    }

    /// <summary>
    /// Parses the record <paramref name="data"/> starts with into <see cref="_fieldTexts"/>. <paramref name="final"/>
    /// says the file ends where <paramref name="data"/> does; else a record that reaches its end needs more input,
    /// and is parsed again from its start once there is.
    /// </summary>
    /// <param name="consumed">The record's characters with its line end.</param>
    /// <param name="length">The record's characters without its line end.</param>
    /// <param name="lineBreaks">Line breaks inside quoted fields.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private RecordStatus ParseRecord(ReadOnlySpan<char> data, bool final, out int consumed, out int length, out int lineBreaks)
    {
        consumed = length = lineBreaks = 0;
        _openQuoteLine = 0;
        // A blank line (spaces at most) is no record: not a row of one empty field.
        var blank = 0;
        while (blank < data.Length && (data[blank] == ' ' || (data[blank] == '\t' && _delimiter != '\t')))
        {
            blank++;
        }
        if (blank == data.Length)
        {
            return final ? RecordStatus.End : RecordStatus.NeedMore;
        }
        if (data[blank] is '\r' or '\n')
        {
            var end = blank + 1;
            if (data[blank] == '\r')
            {
                if (end == data.Length && !final)
                {
                    return RecordStatus.NeedMore;
                }
                if (end < data.Length && data[end] == '\n')
                {
                    end++;
                }
            }
            consumed = end;
            return RecordStatus.Blank;
        }

        var delimiter = _delimiter;
        _fieldCount = 0;
        var position = 0;
        while (true)
        {
            string? text;
            if (position < data.Length && data[position] == '"')
            {
                var contentStart = position + 1;
                var escapedQuotes = 0;
                position = contentStart;
                while (true)
                {
                    var quote = data[position..].IndexOf('"');
                    if (quote < 0)
                    {
                        if (final)
                        {
                            throw new ImportFormatException(
                                "a quoted field opened on this line is never closed: the file ends before its closing quote", Location(_line + lineBreaks));
                        }
                        _openQuoteLine = _line + lineBreaks;
                        return RecordStatus.NeedMore;
                    }
                    position += quote;
                    if (position + 1 == data.Length && !final)
                    {
                        // A quote that ends the buffer: a closing one, or the first of two.
                        _openQuoteLine = _line + lineBreaks;
                        return RecordStatus.NeedMore;
                    }
                    if (position + 1 < data.Length && data[position + 1] == '"')
                    {
                        escapedQuotes++;
                        position += 2;
                        continue;
                    }
                    break;
                }
                var content = data[contentStart..position];
                position++;
                lineBreaks += CountLineBreaks(content);
                // Text between the closing quote and the delimiter is kept as written, as Python's csv module does.
                var trailing = 0;
                if (position < data.Length && data[position] != delimiter && data[position] is not ('\r' or '\n'))
                {
                    trailing = data[position..].IndexOfAny(delimiter, '\r', '\n');
                    if (trailing < 0)
                    {
                        if (!final)
                        {
                            return RecordStatus.NeedMore;
                        }
                        trailing = data.Length - position;
                    }
                }
                text = Unquote(content, escapedQuotes, data.Slice(position, trailing));
                position += trailing;
            }
            else
            {
                var stop = data[position..].IndexOfAny(delimiter, '\r', '\n');
                if (stop < 0)
                {
                    if (!final)
                    {
                        return RecordStatus.NeedMore;
                    }
                    stop = data.Length - position;
                }
                text = stop == 0 ? null : new string(data.Slice(position, stop));
                position += stop;
            }

            if (_fieldCount < _storedFieldLimit)
            {
                if (_fieldCount == _fieldTexts.Length)
                {
                    Array.Resize(ref _fieldTexts, Math.Min(_storedFieldLimit, _fieldTexts.Length * 2));
                }
                _fieldTexts[_fieldCount] = text;
            }
            _fieldCount++;

            if (position == data.Length)
            {
                // Only when final: the file ends without a line end.
                consumed = length = position;
                return RecordStatus.Complete;
            }
            var next = data[position];
            if (next == delimiter)
            {
                position++;
                continue;
            }
            length = position++;
            if (next == '\r')
            {
                if (position == data.Length && !final)
                {
                    return RecordStatus.NeedMore;
                }
                if (position < data.Length && data[position] == '\n')
                {
                    position++;
                }
            }
            consumed = position;
            return RecordStatus.Complete;
        }
    }

    /// <summary>Line breaks in a quoted field, a CRLF counting once, as editors count lines.</summary>
    private static int CountLineBreaks(ReadOnlySpan<char> text)
    {
        if (!text.ContainsAny('\r', '\n'))
        {
            return 0;
        }
        var count = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.Length || text[i + 1] != '\n')))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>A quoted field's value: its content with each doubled quote made one, then any text after the closing quote.</summary>
    private string? Unquote(ReadOnlySpan<char> content, int escapedQuotes, ReadOnlySpan<char> trailing)
    {
        if (escapedQuotes == 0 && trailing.IsEmpty)
        {
            return content.IsEmpty ? null : new string(content);
        }
        var length = content.Length - escapedQuotes + trailing.Length;
        if (_unquoted.Length < length)
        {
            _unquoted = new char[Math.Max(length, 256)];
        }
        var written = 0;
        while (!content.IsEmpty)
        {
            var quote = content.IndexOf('"');
            var run = quote < 0 ? content : content[..(quote + 1)];
            run.CopyTo(_unquoted.AsSpan(written));
            written += run.Length;
            content = quote < 0 ? [] : content[(quote + 2)..];
        }
        trailing.CopyTo(_unquoted.AsSpan(written));
        return length == 0 ? null : new string(_unquoted, 0, length);
    }

    /// <summary>
    /// Moves the unfinished record to the start of the buffer, grows the buffer when that leaves it less than half
    /// free, and decodes input into the rest.
    /// </summary>
    private void ReadMore()
    {
        var pending = _charsEnd - _charsStart;
        if (_charsStart > 0)
        {
            Array.Copy(_chars, _charsStart, _chars, 0, pending);
            _charsStart = 0;
            _charsEnd = pending;
        }
        if (_chars.Length - pending < _chars.Length / 2)
        {
            Grow(pending);
        }
        // A surrogate pair takes two chars: the decoder needs room for one.
        while (!_inputEnded && _chars.Length - _charsEnd >= 2)
        {
            if (_bytesStart == _bytesEnd && !_streamEnded)
            {
                _bytesStart = 0;
                _bytesEnd = _stream.ReadAtLeast(_bytes, _bytes.Length, throwOnEndOfStream: false);
                _streamEnded = _bytesEnd < _bytes.Length;
            }
            _decoder.Convert(_bytes.AsSpan(_bytesStart, _bytesEnd - _bytesStart), _chars.AsSpan(_charsEnd), _streamEnded,
                out var bytesUsed, out var charsUsed, out var completed);
            _bytesStart += bytesUsed;
            _charsEnd += charsUsed;
            _inputEnded = _streamEnded && _bytesStart == _bytesEnd && completed;
        }
    }

    /// <summary>
    /// Doubles the buffer, up to the record limit and room to see past it. Only the first buffer comes from the pool:
    /// a larger one serves one large file, and is left to the garbage collector rather than kept in the pool after it.
    /// </summary>
    private void Grow(int pending)
    {
        var largest = _maxRecordChars + MinimumFreeChars;
        if (_chars.Length >= largest)
        {
            return;
        }
        var size = _chars.Length * 2L >= _maxRecordChars ? largest : _chars.Length * 2;
        var larger = GC.AllocateUninitializedArray<char>(size);
        Array.Copy(_chars, larger, pending);
        ReturnChars();
        _chars = larger;
    }

    private void ReturnChars()
    {
        if (_charsFromPool)
        {
            ArrayPool<char>.Shared.Return(_chars);
            _charsFromPool = false;
        }
    }
}
