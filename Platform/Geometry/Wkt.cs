using System.Globalization;

namespace CartoSelfHosted.Platform.Geometry;

/// <summary>Well-known text, and PostGIS's extended form with an SRID (<c>SRID=4326;POINT(1 2)</c>), written as EWKB.</summary>
public static class Wkt
{
    private const string OutOfRangeHint =
        "the data is probably in a projected coordinate system; geometries are imported as WGS 84 longitude/latitude (SRID 4326), without reprojection.";

    /// <summary>
    /// Writes <paramref name="text"/> to <paramref name="output"/>: any case, <c>EMPTY</c> geometries, Z, M or ZM
    /// (tagged, or 3 or 4 numbers untagged) dropped to 2D, MULTIPOINT's members with or without parentheses.
    /// </summary>
    /// <exception cref="FormatException">
    /// Not WKT; an SRID other than 4326; coordinates outside longitude/latitude; a line of 1 position, a short or
    /// open ring.
    /// </exception>
    public static WkbGeometryType ToEwkb(ReadOnlySpan<char> text, EwkbWriter output)
    {
        output.Clear();
        var parser = new Parser(text, output);
        parser.ReadSrid();
        var type = parser.WriteGeometry(outermost: true);
        parser.ExpectEnd();
        return type;
    }

    private ref struct Parser(ReadOnlySpan<char> text, EwkbWriter output)
    {
        private readonly ReadOnlySpan<char> _text = text;
        private readonly EwkbWriter _output = output;
        private int _position;

        /// <summary>EWKT's <c>SRID=n;</c> prefix, when there is one: only 4326 is taken.</summary>
        public void ReadSrid()
        {
            SkipWhitespace();
            if (!_text[_position..].StartsWith("SRID", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }
            _position += 4;
            Expect('=');
            SkipWhitespace();
            var start = _position;
            while (_position < _text.Length && char.IsAsciiDigit(_text[_position]))
            {
                _position++;
            }
            if (!int.TryParse(_text[start.._position], NumberStyles.None, CultureInfo.InvariantCulture, out var srid))
            {
                throw Unexpected("an SRID number");
            }
            if (srid != EwkbWriter.Srid)
            {
                throw new FormatException(
                    $"SRID {srid} is not supported: geometries are imported as WGS 84 longitude/latitude (SRID 4326), without reprojection.");
            }
            Expect(';');
        }

        public WkbGeometryType WriteGeometry(bool outermost)
        {
            SkipWhitespace();
            var wordAt = _position;
            var type = ParseType(ReadWord()) ?? throw new FormatException(
                $"WKT has \"{_text[wordAt.._position]}\" at character {wordAt + 1} where a geometry type (POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON, GEOMETRYCOLLECTION) belongs.");
            _output.WriteHeader(type, outermost);
            SkipDimension();
            if (TryReadEmpty())
            {
                WriteEmptyBody(type);
                return type;
            }
            switch (type)
            {
                case WkbGeometryType.Point:
                    Expect('(');
                    WritePosition();
                    Expect(')');
                    break;
                case WkbGeometryType.LineString:
                    WriteLineString();
                    break;
                case WkbGeometryType.Polygon:
                    WritePolygon();
                    break;
                case WkbGeometryType.GeometryCollection:
                    {
                        Expect('(');
                        var countAt = _output.ReserveCount();
                        var count = 0;
                        do
                        {
                            WriteGeometry(outermost: false);
                            count++;
                        }
                        while (TryRead(','));
                        Expect(')');
                        _output.WriteCount(countAt, count);
                        break;
                    }
                default:
                    {
                        // A multi geometry: each member is a whole WKB geometry of the single type, with its own header.
                        var memberType = type - 3;
                        Expect('(');
                        var countAt = _output.ReserveCount();
                        var count = 0;
                        do
                        {
                            _output.WriteHeader(memberType, outermost: false);
                            if (TryReadEmpty())
                            {
                                WriteEmptyBody(memberType);
                            }
                            else if (memberType == WkbGeometryType.Point)
                            {
                                // MULTIPOINT((1 2), (3 4)) and MULTIPOINT(1 2, 3 4) are both in use.
                                var parenthesized = TryRead('(');
                                WritePosition();
                                if (parenthesized)
                                {
                                    Expect(')');
                                }
                            }
                            else if (memberType == WkbGeometryType.LineString)
                            {
                                WriteLineString();
                            }
                            else
                            {
                                WritePolygon();
                            }
                            count++;
                        }
                        while (TryRead(','));
                        Expect(')');
                        _output.WriteCount(countAt, count);
                        break;
                    }
            }
            return type;
        }

        public void ExpectEnd()
        {
            SkipWhitespace();
            if (_position < _text.Length)
            {
                throw Unexpected("the end of the text");
            }
        }

        private void WriteEmptyBody(WkbGeometryType type)
        {
            if (type == WkbGeometryType.Point)
            {
                _output.WriteEmptyPoint();
            }
            else
            {
                _output.WriteCount(_output.ReserveCount(), 0);
            }
        }

        private void WriteLineString()
        {
            var countAt = _output.ReserveCount();
            _output.EndLineString(countAt, WritePositionList());
        }

        private void WritePolygon()
        {
            Expect('(');
            var countAt = _output.ReserveCount();
            var rings = 0;
            do
            {
                var ringCountAt = _output.ReserveCount();
                _output.EndRing(ringCountAt, WritePositionList());
                rings++;
            }
            while (TryRead(','));
            Expect(')');
            _output.WriteCount(countAt, rings);
        }

        /// <summary>A parenthesized list of positions; how many.</summary>
        private int WritePositionList()
        {
            Expect('(');
            var count = 0;
            do
            {
                WritePosition();
                count++;
            }
            while (TryRead(','));
            Expect(')');
            return count;
        }

        /// <summary>Two numbers, then a Z and an M at most, dropped.</summary>
        private void WritePosition()
        {
            var x = ReadNumber();
            var y = ReadNumber();
            for (var extra = 0; extra < 2 && StartsNumber(); extra++)
            {
                ReadNumber();
            }
            _output.WritePosition(x, y, OutOfRangeHint);
        }

        private double ReadNumber()
        {
            SkipWhitespace();
            var start = _position;
            while (_position < _text.Length && (char.IsAsciiDigit(_text[_position]) || _text[_position] is '-' or '+' or '.' or 'e' or 'E'))
            {
                _position++;
            }
            if (!double.TryParse(_text[start.._position], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                _position = start;
                throw Unexpected("a number");
            }
            return value;
        }

        private bool StartsNumber()
        {
            SkipWhitespace();
            return _position < _text.Length && (char.IsAsciiDigit(_text[_position]) || _text[_position] is '-' or '+' or '.');
        }

        /// <summary>A Z, M or ZM tag after the type: nothing to do with it, since everything is written 2D.</summary>
        private void SkipDimension()
        {
            SkipWhitespace();
            var start = _position;
            var word = ReadWord();
            if (!(word.Equals("Z", StringComparison.OrdinalIgnoreCase) || word.Equals("M", StringComparison.OrdinalIgnoreCase)
                || word.Equals("ZM", StringComparison.OrdinalIgnoreCase)))
            {
                _position = start;
            }
        }

        private bool TryReadEmpty()
        {
            SkipWhitespace();
            var start = _position;
            if (ReadWord().Equals("EMPTY", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
            _position = start;
            return false;
        }

        private ReadOnlySpan<char> ReadWord()
        {
            var start = _position;
            while (_position < _text.Length && char.IsAsciiLetter(_text[_position]))
            {
                _position++;
            }
            return _text[start.._position];
        }

        private bool TryRead(char expected)
        {
            SkipWhitespace();
            if (_position < _text.Length && _text[_position] == expected)
            {
                _position++;
                return true;
            }
            return false;
        }

        private void Expect(char expected)
        {
            if (!TryRead(expected))
            {
                throw Unexpected($"'{expected}'");
            }
        }

        private void SkipWhitespace()
        {
            while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
            {
                _position++;
            }
        }

        private readonly FormatException Unexpected(string expected) => new(_position < _text.Length
            ? $"WKT has '{_text[_position]}' at character {_position + 1} where {expected} belongs."
            : $"WKT ends at character {_text.Length} where {expected} belongs: it is cut short.");

        /// <summary>A type word, with a Z, M or ZM run into it as PostGIS also reads (<c>POINTZ</c>).</summary>
        private static WkbGeometryType? ParseType(ReadOnlySpan<char> word)
        {
            if (TypeOf(word) is { } type)
            {
                return type;
            }
            if (word.EndsWith("ZM", StringComparison.OrdinalIgnoreCase))
            {
                return TypeOf(word[..^2]);
            }
            return word.EndsWith('Z') || word.EndsWith('z') || word.EndsWith('M') || word.EndsWith('m') ? TypeOf(word[..^1]) : null;
        }

        private static WkbGeometryType? TypeOf(ReadOnlySpan<char> word) =>
            word.Equals("POINT", StringComparison.OrdinalIgnoreCase) ? WkbGeometryType.Point
            : word.Equals("LINESTRING", StringComparison.OrdinalIgnoreCase) ? WkbGeometryType.LineString
            : word.Equals("POLYGON", StringComparison.OrdinalIgnoreCase) ? WkbGeometryType.Polygon
            : word.Equals("MULTIPOINT", StringComparison.OrdinalIgnoreCase) ? WkbGeometryType.MultiPoint
            : word.Equals("MULTILINESTRING", StringComparison.OrdinalIgnoreCase) ? WkbGeometryType.MultiLineString
            : word.Equals("MULTIPOLYGON", StringComparison.OrdinalIgnoreCase) ? WkbGeometryType.MultiPolygon
            : word.Equals("GEOMETRYCOLLECTION", StringComparison.OrdinalIgnoreCase) ? WkbGeometryType.GeometryCollection
            : null;
    }
}
