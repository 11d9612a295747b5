using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.Platform.Imports;

/// <summary>
/// Reads GeoJSON (RFC 7946: a FeatureCollection, or a single Feature or geometry) or a GeoJSON text sequence (RFC 8142,
/// newline-delimited: one Feature per line, each optionally after an RS byte), streaming: the file passes through one
/// pooled buffer that only grows to hold the largest feature, never the file.
/// </summary>
/// <remarks>
/// The file is read in units: the start of the document up to its <c>features</c> array, one feature, one member
/// after the array. Each unit is parsed as it is tokenized, from the <see cref="JsonReaderState"/> saved where it
/// starts; when the buffer ends inside it (a read returns false) it is read again from there once the buffer holds
/// more, which happens once a refill, so the file's tokens are read once, not twice (as they would be by first
/// checking with <see cref="Utf8JsonReader.TrySkip"/> that each feature is whole).
/// </remarks>
public sealed class GeoJsonFeatureReader : IFeatureReader
{
    /// <summary>Large enough that refills, and the units read twice across them, are rare.</summary>
    private const int InitialBufferBytes = 1024 * 1024;

    /// <summary>How much of a bad literal an invalid JSON message quotes (with its opening quote).</summary>
    private const int QuotedLiteralLength = 21;

    /// <summary>How much of a crs with no name the message about it quotes.</summary>
    private const int MaxCrsDescriptionBytes = 200;

    /// <summary>RFC 8142's record separator, which may start every record of a GeoJSON text sequence.</summary>
    private const byte RecordSeparator = 0x1E;

    private static readonly FieldValue True = new(FieldKind.Boolean, "true");
    private static readonly FieldValue False = new(FieldKind.Boolean, "false");

    /// <summary>CRS names that mean WGS 84 longitude/latitude, what GeoJSON holds anyway (compared ignoring case).</summary>
    private static readonly string[] Wgs84CrsNames =
    [
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "OGC:CRS84",
        "CRS84",
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
    ];

    private readonly Stream _stream;
    private readonly bool _sequence;
    private readonly ReaderLimits _limits;

    // The buffer: bytes [_start, _end) are read but not yet consumed; _start is where the next unit begins, and
    // _state is the JSON reader's state there. _bufferOffset is the file offset of _buffer[0], for messages.
    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _bufferOffset;
    private bool _endOfStream;
    private JsonReaderState _state;

    private Phase _phase;
    private int _featuresRead;
    /// <summary>Whether the unit being read has reached a feature's start: a file ending there is cut short inside it.</summary>
    private bool _inFeature;
    /// <summary>GeoJSON text sequences only: the 1-based line <see cref="_start"/> is on, and the line of the feature being read.</summary>
    private int _line = 1;
    private int _featureLine;

    private readonly List<string> _fields = [];
    /// <summary>The fields' names in UTF-8, to match a property's name to the field expected next without decoding it.</summary>
    private readonly List<byte[]> _fieldNamesUtf8 = [];
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _fieldIndexes =
        new Dictionary<string, int>(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
    /// <summary>The field that holds properties called <c>id</c>, or -1: a feature's top-level id goes there when its properties have none.</summary>
    private int _idField = -1;
    private char[] _nameChars = new char[128];
    /// <summary>
    /// The feature being read's values, up to the last field it has: its <see cref="Feature.Values"/> is a copy that
    /// long, since fields past the end are null (in a file of many sparse properties, most of them).
    /// </summary>
    private FieldValue[] _values = new FieldValue[16];
    private int _valueCount;
    private readonly EwkbWriter _ewkb = new();

    private GeoJsonFeatureReader(Stream stream, bool sequence, ReaderLimits limits)
    {
        _stream = stream;
        _sequence = sequence;
        _limits = limits;
        // No larger than the limit: the buffer holds the feature being read, and only grows (to the limit) when it must.
        // Not from the shared pool: a buffer grown for one huge feature would stay in the pool, and in the worker's
        // memory, long after the import.
        _buffer = GC.AllocateUninitializedArray<byte>(Math.Min(InitialBufferBytes, limits.MaxFeatureBytes));
        _phase = sequence ? Phase.Sequence : Phase.Document;
        // Several values one after the other is what a text sequence is.
        _state = new JsonReaderState(new JsonReaderOptions { AllowMultipleValues = sequence });
    }

    /// <summary>
    /// A reader of <paramref name="stream"/>: GeoJSON, or with <paramref name="sequence"/> a GeoJSON text sequence.
    /// The stream stays the caller's: disposing the reader leaves it open.
    /// </summary>
    public static GeoJsonFeatureReader Open(Stream stream, bool sequence, ReaderLimits limits)
    {
        var reader = new GeoJsonFeatureReader(stream, sequence, limits);
        reader.Fill();
        // A UTF-8 byte order mark, which some Windows tools write, is not JSON.
        if (reader._buffer.AsSpan(0, reader._end).StartsWith("\uFEFF"u8))
        {
            reader._start = 3;
        }
        return reader;
    }

    public string Format => _sequence ? "geojsonseq" : "geojson";

    public IReadOnlyList<string> Fields => _fields;

    public string? GeometrySource => "GeoJSON geometry";

    public bool TryRead([NotNullWhen(true)] out Feature? feature)
    {
        while (true)
        {
            feature = null;
            // Never the final block: a unit the data ends inside then reads as "needs more data", which at the end of
            // the stream is a file cut short, said better than the JSON reader's own error would.
            var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), isFinalBlock: false, _state);
            _inFeature = false;
            Unit unit;
            try
            {
                unit = _phase switch
                {
                    Phase.Document => ReadDocumentStart(ref reader, out feature),
                    Phase.Features => ReadFeatureInCollection(ref reader, out feature),
                    Phase.AfterFeatures => ReadMemberAfterFeatures(ref reader),
                    Phase.Sequence => ReadFeatureInSequence(ref reader, out feature),
                    _ => ReadDocumentEnd(ref reader),
                };
            }
            catch (JsonException e)
            {
                throw InvalidJson(e, _bufferOffset + _start + reader.BytesConsumed);
            }
            catch (FormatException e)
            {
                throw new ImportFormatException(e.Message, FeatureLocation());
            }
            catch (InvalidOperationException e) when (e.InnerException is DecoderFallbackException)
            {
                throw new ImportFormatException(
                    "a text is not valid UTF-8, the encoding GeoJSON has (RFC 7946): the file is probably in Latin-1 or Windows-1252; save it as UTF-8.",
                    FeatureLocation(), e);
            }
            switch (unit)
            {
                case Unit.Incomplete:
                    ReadMore();
                    break;
                case Unit.Read:
                    Consume(ref reader);
                    if (feature is not null)
                    {
                        _featuresRead++;
                        return true;
                    }
                    break;
                default:
                    return false;
            }
        }
    }

    public void Dispose() => _buffer = [];

    /// <summary>
    /// From the document's start to its <c>features</c> array, or through the whole object when it has none (a
    /// single Feature or geometry, which then is feature 1). The start is kept in the buffer until then.
    /// </summary>
    private Unit ReadDocumentStart(ref Utf8JsonReader reader, out Feature? feature)
    {
        feature = null;
        if (!reader.Read())
        {
            // An empty file (or only white space) has no features; whether that is an error is the caller's call. A
            // number or a word the data ends in reads as incomplete (it could go on), so it is refused here.
            return !_endOfStream ? Unit.Incomplete : UnitStart() < 0 ? Unit.End : throw NotGeoJson();
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw NotGeoJson();
        }
        var document = reader;
        bool? isFeatureCollection = null;
        while (true)
        {
            if (!reader.Read())
            {
                return Unit.Incomplete;
            }
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                // No features array: a Feature or a geometry is feature 1; a FeatureCollection without one has none.
                if (isFeatureCollection != true)
                {
                    _inFeature = true;
                    if (!TryReadFeatureObject(ref document, isDocument: true, out feature))
                    {
                        return Unit.Incomplete;
                    }
                }
                _phase = Phase.DocumentEnd;
                return Unit.Read;
            }
            if (reader.ValueTextEquals("features"u8))
            {
                if (!reader.Read())
                {
                    return Unit.Incomplete;
                }
                if (reader.TokenType == JsonTokenType.StartArray && isFeatureCollection != false)
                {
                    _phase = Phase.Features;
                    return Unit.Read;
                }
                if (!reader.TrySkip())
                {
                    return Unit.Incomplete;
                }
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                if (!reader.Read())
                {
                    return Unit.Incomplete;
                }
                isFeatureCollection = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("FeatureCollection"u8);
            }
            else if (!TryReadMember(ref reader))
            {
                return Unit.Incomplete;
            }
        }
    }

    /// <summary>The next feature of the <c>features</c> array, or its end.</summary>
    private Unit ReadFeatureInCollection(ref Utf8JsonReader reader, out Feature? feature)
    {
        feature = null;
        if (!reader.Read())
        {
            return Unit.Incomplete;
        }
        if (reader.TokenType == JsonTokenType.EndArray)
        {
            _phase = Phase.AfterFeatures;
            return Unit.Read;
        }
        _inFeature = true;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException($"a feature is {Describe(reader.TokenType)}, not an object.");
        }
        return TryReadFeatureObject(ref reader, isDocument: false, out feature) ? Unit.Read : Unit.Incomplete;
    }

    /// <summary>One member of the FeatureCollection after its features (a <c>crs</c> is still checked), or its end.</summary>
    private Unit ReadMemberAfterFeatures(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            return Unit.Incomplete;
        }
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            _phase = Phase.DocumentEnd;
            return Unit.Read;
        }
        return TryReadMember(ref reader) ? Unit.Read : Unit.Incomplete;
    }

    /// <summary>Nothing but white space may follow the document (the JSON reader refuses anything else).</summary>
    private Unit ReadDocumentEnd(ref Utf8JsonReader reader)
    {
        reader.Read();
        return _endOfStream ? Unit.End : Unit.Incomplete;
    }

    private Unit ReadFeatureInSequence(ref Utf8JsonReader reader, out Feature? feature)
    {
        feature = null;
        if (!reader.Read())
        {
            var start = UnitStart();
            if (!_endOfStream || start < 0)
            {
                return _endOfStream ? Unit.End : Unit.Incomplete;
            }
            // A number or a word the data ends in reads as incomplete (it could go on).
            _inFeature = true;
            _featureLine = _line + _buffer.AsSpan(_start, start).Count((byte)'\n');
            throw new FormatException("a GeoJSON text sequence has a Feature per line; this line has something else.");
        }
        _inFeature = true;
        _featureLine = _line + _buffer.AsSpan(_start, (int)reader.TokenStartIndex).Count((byte)'\n');
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException($"a GeoJSON text sequence has a Feature per line; this line has {Describe(reader.TokenType)}.");
        }
        return TryReadFeatureObject(ref reader, isDocument: false, out feature) ? Unit.Read : Unit.Incomplete;
    }

    /// <summary>A member of the document other than <c>features</c>: its <c>crs</c> checked, the rest skipped. False when it goes past the buffer.</summary>
    private bool TryReadMember(ref Utf8JsonReader reader)
    {
        var isCrs = reader.ValueTextEquals("crs"u8);
        if (!reader.Read())
        {
            return false;
        }
        var value = reader;
        if (!reader.TrySkip())
        {
            return false;
        }
        if (isCrs)
        {
            CheckCrs(ref value);
        }
        return true;
    }

    /// <summary>
    /// A Feature (a geometry is taken as a Feature with no properties), the reader on its start. False when the buffer
    /// ends inside it.
    /// </summary>
    private bool TryReadFeatureObject(ref Utf8JsonReader reader, bool isDocument, [NotNullWhen(true)] out Feature? feature)
    {
        feature = null;
        var objectStart = reader;
        // What an earlier attempt at this feature (one the buffer ended inside) set is cleared too.
        Array.Clear(_values, 0, _valueCount);
        _valueCount = 0;
        GeometryValue? geometry = null;
        FieldValue? topLevelId = null;
        var hasIdProperty = false;
        var type = ObjectType.Untyped;
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }
            var member = reader.ValueTextEquals("type"u8) ? Member.Type
                : reader.ValueTextEquals("properties"u8) ? Member.Properties
                : reader.ValueTextEquals("geometry"u8) ? Member.Geometry
                : reader.ValueTextEquals("id"u8) ? Member.Id
                : Member.Other;
            if (!reader.Read())
            {
                return false;
            }
            switch (member)
            {
                case Member.Type:
                    type = reader.TokenType != JsonTokenType.String ? ObjectType.Other
                        : reader.ValueTextEquals("Feature"u8) ? ObjectType.Feature
                        : reader.ValueTextEquals("FeatureCollection"u8) ? ObjectType.FeatureCollection
                        : ObjectType.Other;
                    break;
                case Member.Properties when reader.TokenType == JsonTokenType.StartObject:
                    if (!TryReadProperties(ref reader, ref hasIdProperty))
                    {
                        return false;
                    }
                    break;
                case Member.Properties when reader.TokenType != JsonTokenType.Null:
                    throw new FormatException($"the feature's properties are {Describe(reader.TokenType)}, not an object.");
                case Member.Geometry when reader.TokenType == JsonTokenType.StartObject:
                    if (!TryReadGeometry(ref reader, out geometry))
                    {
                        return false;
                    }
                    break;
                case Member.Geometry when reader.TokenType != JsonTokenType.Null:
                    throw new FormatException($"the feature's geometry is {Describe(reader.TokenType)}, not an object or null.");
                case Member.Id when reader.TokenType == JsonTokenType.String:
                    topLevelId = FieldValue.String(reader.GetString()!);
                    break;
                case Member.Id when reader.TokenType == JsonTokenType.Number:
                    topLevelId = NumberValue(ref reader);
                    break;
                default:
                    if (!reader.TrySkip())
                    {
                        return false;
                    }
                    break;
            }
        }
        switch (type)
        {
            case ObjectType.FeatureCollection:
                throw new FormatException("a FeatureCollection inside another one, or in a text sequence, is not supported.");
            case ObjectType.Other:
                // A bare geometry: the whole object, read now, is the geometry; read it again as one.
                if (!TryReadGeometry(ref objectStart, out geometry))
                {
                    return false;
                }
                feature = new Feature([], geometry);
                return true;
            case ObjectType.Untyped when isDocument:
                throw NotGeoJson();
        }
        if (topLevelId is { } id && !hasIdProperty)
        {
            var field = _idField >= 0 ? _idField : AddField("id");
            SetValue(field, id);
        }
        feature = new Feature(_values[.._valueCount], geometry);
        return true;
    }

    private bool TryReadProperties(ref Utf8JsonReader reader, ref bool hasIdProperty)
    {
        // Features usually list their properties in the same order: the field after the last one matched is tried first.
        var expected = 0;
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }
            var field = expected < _fieldNamesUtf8.Count && reader.ValueTextEquals(_fieldNamesUtf8[expected])
                ? expected
                : FindOrAddField(ref reader);
            expected = field + 1;
            hasIdProperty |= field == _idField;
            if (!reader.Read())
            {
                return false;
            }
            FieldValue value;
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    value = FieldValue.String(reader.GetString()!);
                    break;
                case JsonTokenType.Number:
                    value = NumberValue(ref reader);
                    break;
                case JsonTokenType.True:
                    value = True;
                    break;
                case JsonTokenType.False:
                    value = False;
                    break;
                case JsonTokenType.Null:
                    value = FieldValue.Null;
                    break;
                default:
                    // An object or an array: its JSON text as the file has it.
                    var start = _start + (int)reader.TokenStartIndex;
                    if (!reader.TrySkip())
                    {
                        return false;
                    }
                    value = new FieldValue(FieldKind.Json, Encoding.UTF8.GetString(_buffer, start, _start + (int)reader.BytesConsumed - start));
                    break;
            }
            SetValue(field, value);
        }
    }

    /// <summary>A number as its text: JSON numbers are ASCII and never escaped.</summary>
    private static FieldValue NumberValue(ref Utf8JsonReader reader) => new(FieldKind.Number, Encoding.ASCII.GetString(reader.ValueSpan));

    private bool TryReadGeometry(ref Utf8JsonReader reader, [NotNullWhen(true)] out GeometryValue? geometry)
    {
        geometry = null;
        if (!GeoJsonGeometry.TryToEwkb(ref reader, _ewkb, out var type))
        {
            return false;
        }
        geometry = new GeometryValue(_ewkb.ToArray(), type);
        return true;
    }

    private int FindOrAddField(ref Utf8JsonReader reader)
    {
        if (_nameChars.Length < reader.ValueSpan.Length)
        {
            _nameChars = new char[Math.Max(reader.ValueSpan.Length, _nameChars.Length * 2)];
        }
        var name = _nameChars.AsSpan(0, reader.CopyString(_nameChars));
        return _fieldIndexes.TryGetValue(name, out var field) ? field : AddField(name.ToString());
    }

    private int AddField(string name)
    {
        if (_fields.Count >= _limits.MaxFields)
        {
            throw new FormatException($"the features have more than {_limits.MaxFields} distinct properties, the most a table may take.");
        }
        var field = _fields.Count;
        _fields.Add(name);
        _fieldNamesUtf8.Add(Encoding.UTF8.GetBytes(name));
        _fieldIndexes.Dictionary.Add(name, field);
        if (name == "id")
        {
            _idField = field;
        }
        return field;
    }

    private void SetValue(int field, FieldValue value)
    {
        if (field >= _values.Length)
        {
            Array.Resize(ref _values, Math.Max(_fields.Count, _values.Length * 2));
        }
        _values[field] = value;
        _valueCount = Math.Max(_valueCount, field + 1);
    }

    /// <summary>A <c>crs</c> (the 2008 GeoJSON spec's, which RFC 7946 dropped) is refused unless it names WGS 84.</summary>
    private void CheckCrs(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        var crsStart = (int)reader.TokenStartIndex;
        var end = reader;
        end.TrySkip();
        var crsEnd = (int)end.BytesConsumed;
        string? name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isProperties = reader.ValueTextEquals("properties"u8);
                reader.Read();
                if (isProperties && reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        // {"type": "name", "properties": {"name": "EPSG:3857"}}, or the older {"type": "EPSG", "properties": {"code": 3857}}.
                        var isName = reader.ValueTextEquals("name"u8);
                        var isCode = reader.ValueTextEquals("code"u8);
                        reader.Read();
                        if (isName && reader.TokenType == JsonTokenType.String)
                        {
                            name = reader.GetString();
                        }
                        else if (isCode && reader.TokenType == JsonTokenType.Number)
                        {
                            name = "EPSG:" + Encoding.ASCII.GetString(reader.ValueSpan);
                        }
                        reader.TrySkip();
                    }
                }
                else
                {
                    reader.TrySkip();
                }
            }
        }
        if (name is not null && Wgs84CrsNames.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }
        var description = name ?? Encoding.UTF8.GetString(_buffer, _start + crsStart, Math.Min(crsEnd - crsStart, MaxCrsDescriptionBytes));
        throw new ImportFormatException(
            $"the file's crs is \"{description}\": reprojection of GeoJSON is not supported; save it in WGS 84 longitude/latitude (EPSG:4326), as RFC 7946 asks.");
    }

    /// <summary>Moves the unit being read to the buffer's start, grows the buffer when the unit fills it, and reads more into it.</summary>
    private void ReadMore()
    {
        var pending = _end - _start;
        if (_endOfStream)
        {
            throw CutShort();
        }
        if (pending >= _limits.MaxFeatureBytes)
        {
            var (what, location) = _phase switch
            {
                Phase.AfterFeatures => ("a member of the FeatureCollection after its features", null),
                // The whole document is one Feature (a FeatureCollection's members before its features are never this large).
                Phase.Document => ("this feature", "feature 1"),
                _ => ("this feature", FeatureLocation()),
            };
            throw new ImportFormatException($"{what} is larger than {Size(_limits.MaxFeatureBytes)}, the most one may take.", location);
        }
        if (_start > 0)
        {
            _buffer.AsSpan(_start, pending).CopyTo(_buffer);
            _bufferOffset += _start;
            _start = 0;
            _end = pending;
        }
        if (_end == _buffer.Length)
        {
            var larger = GC.AllocateUninitializedArray<byte>((int)Math.Min(2L * _buffer.Length, _limits.MaxFeatureBytes));
            _buffer.AsSpan(0, _end).CopyTo(larger);
            _buffer = larger;
        }
        Fill();
    }

    /// <summary>Reads until the buffer is full or the stream ends: a stream that gives a few bytes at a time must not make units be read again for each.</summary>
    private void Fill()
    {
        while (_end < _buffer.Length)
        {
            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _endOfStream = true;
                return;
            }
            if (_sequence)
            {
                // An RS is never part of JSON (a string holds control characters only escaped), so it can be white space.
                _buffer.AsSpan(_end, read).Replace(RecordSeparator, (byte)' ');
            }
            _end += read;
        }
    }

    /// <summary>Where the next unit's first byte is, from <see cref="_start"/>: -1 when only white space is left.</summary>
    private int UnitStart() => _buffer.AsSpan(_start, _end - _start).IndexOfAnyExcept(" \t\r\n"u8);

    private void Consume(ref Utf8JsonReader reader)
    {
        var consumed = (int)reader.BytesConsumed;
        if (_sequence)
        {
            _line += _buffer.AsSpan(_start, consumed).Count((byte)'\n');
        }
        _start += consumed;
        _state = reader.CurrentState;
    }

    /// <summary>Where the feature being read is, for messages: null outside features.</summary>
    private string? FeatureLocation() =>
        !_inFeature ? null : _sequence ? $"line {_featureLine}" : $"feature {_featuresRead + 1}";

    private ImportFormatException CutShort() => _phase switch
    {
        _ when _inFeature => new ImportFormatException("the file ends in the middle of this feature: it was cut short.", FeatureLocation()),
        Phase.Features => new ImportFormatException($"the file ends after feature {_featuresRead}, inside the FeatureCollection: it was cut short."),
        _ => new ImportFormatException("the file ends inside its GeoJSON object: it was cut short."),
    };

    private ImportFormatException InvalidJson(JsonException e, long byteOffset)
    {
        // The JSON reader's message ends with its own position ("LineNumber: 0 | BytePositionInLine: 12."), which
        // reads badly to a person and counts bytes from the line rather than the file; some end with advice for
        // the programmer; and a bad literal is quoted with the whole rest of the buffer after it.
        var message = e.Message;
        var position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (position > 0)
        {
            message = message[..position];
        }
        message = message.Replace(" Change the reader options.", "", StringComparison.Ordinal);
        var literalEnd = message.IndexOf("' is an invalid JSON literal.", StringComparison.Ordinal);
        if (message.StartsWith('\'') && literalEnd > QuotedLiteralLength)
        {
            message = string.Concat(message.AsSpan(0, QuotedLiteralLength), "…", message.AsSpan(literalEnd));
        }
        var lineNumber = (e.LineNumber ?? 0) + 1;
        if (_sequence)
        {
            return new ImportFormatException($"invalid JSON: {message} (byte offset {byteOffset})", $"line {lineNumber}", e);
        }
        var where = lineNumber > 1 ? $"line {lineNumber}, byte offset {byteOffset}" : $"byte offset {byteOffset}";
        return new ImportFormatException($"invalid JSON: {message} ({where})", FeatureLocation(), e);
    }

    private static ImportFormatException NotGeoJson() =>
        new("not GeoJSON: expected a FeatureCollection, a Feature or a geometry.");

    private static string Size(long bytes) =>
        bytes >= 1024 * 1024 ? $"{bytes / (1024.0 * 1024):0.#} MB"
        : bytes >= 1024 ? $"{bytes / 1024.0:0.#} KB"
        : $"{bytes} bytes";

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    /// <summary>Where the reader is in the file: what the next unit is.</summary>
    private enum Phase
    {
        /// <summary>At the start: up to the <c>features</c> array, or the whole object when it is a Feature or a geometry.</summary>
        Document,
        /// <summary>Inside the <c>features</c> array.</summary>
        Features,
        /// <summary>Past the <c>features</c> array, inside the FeatureCollection.</summary>
        AfterFeatures,
        /// <summary>Past the document: only white space may follow.</summary>
        DocumentEnd,
        /// <summary>A GeoJSON text sequence: one Feature after the other.</summary>
        Sequence,
    }

    /// <summary>What reading a unit came to.</summary>
    private enum Unit
    {
        /// <summary>The buffer ends inside the unit: read it again with more.</summary>
        Incomplete,
        /// <summary>A whole unit: a feature, or what holds none (the document's start, the features' end, a member).</summary>
        Read,
        /// <summary>The end of the file.</summary>
        End,
    }

    /// <summary>The members of a Feature read.</summary>
    private enum Member
    {
        Type,
        Properties,
        Geometry,
        Id,
        Other,
    }

    /// <summary>What a JSON object's <c>type</c> says it is.</summary>
    private enum ObjectType
    {
        Untyped,
        Feature,
        FeatureCollection,
        /// <summary>Anything else, taken as a geometry type (the geometry reader refuses the ones that are not).</summary>
        Other,
    }
}
