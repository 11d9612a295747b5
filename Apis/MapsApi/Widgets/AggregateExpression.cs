using System.Globalization;
using System.Text;
using CartoSelfHosted.Platform.Postgres;

namespace CartoSelfHosted.MapsApi.Widgets;

/// <summary>
/// The aggregate expressions browsers send (<c>operationExp</c>, the string form of <c>aggregations</c>): parsed here and
/// written out again as SQL, never pasted. What parses is arithmetic (<c>+ - * / %</c>, parentheses, numbers) over the
/// source's columns and an allow-list of functions — aggregates, and a few scalar ones to combine them — with at least
/// one aggregate. A column the source lacks is <see cref="WidgetError.ColumnNotFound"/>; anything else (a string, a
/// semicolon, a keyword, an unknown function) is <see cref="WidgetError.InvalidExpression"/>.
/// </summary>
public sealed class AggregateExpression
{
    private static readonly HashSet<string> Aggregates =
    [
        "count", "sum", "avg", "min", "max", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp",
        "bool_and", "bool_or",
    ];

    private static readonly HashSet<string> Scalars =
        ["coalesce", "nullif", "abs", "round", "ceil", "floor", "greatest", "least", "sqrt", "ln", "log", "exp", "power"];

    private readonly string _text;
    private readonly IReadOnlySet<string> _columns;
    private int _position;
    private bool _hasAggregate;

    private AggregateExpression(string text, IReadOnlySet<string> columns)
    {
        _text = text;
        _columns = columns;
    }

    /// <summary>One aggregate expression as SQL over the row alias <c>source</c>.</summary>
    public static string Parse(string text, IReadOnlySet<string> columns)
    {
        var parser = new AggregateExpression(text, columns);
        var sql = parser.ParseAggregate();
        parser.ExpectEnd();
        return sql;
    }

    /// <summary><c>expression [AS alias], …</c>: each expression as SQL, with its alias (the expression's text without one).</summary>
    public static IReadOnlyList<(string Sql, string Alias)> ParseList(string text, IReadOnlySet<string> columns)
    {
        var parser = new AggregateExpression(text, columns);
        var list = new List<(string, string)>();
        while (true)
        {
            var start = parser.SkipSpace();
            var sql = parser.ParseAggregate();
            var alias = parser._text[start..parser._position].Trim();
            if (parser.PeekWord() is { } word && word.Equals("as", StringComparison.OrdinalIgnoreCase))
            {
                parser.ReadWord();
                alias = parser.ReadIdentifier(out _) ?? throw parser.Invalid("an alias after AS");
            }
            list.Add((sql, alias));
            parser.SkipSpace();
            if (parser.TryRead(','))
            {
                continue;
            }
            parser.ExpectEnd();
            return list;
        }
    }

    private string ParseAggregate()
    {
        _hasAggregate = false;
        var sql = ParseAdditive(insideAggregate: false);
        return _hasAggregate ? sql : throw Invalid("an aggregate (count, sum, avg, min, max…)");
    }

    private string ParseAdditive(bool insideAggregate)
    {
        var sql = new StringBuilder(ParseMultiplicative(insideAggregate));
        while (SkipSpace() < _text.Length && _text[_position] is '+' or '-')
        {
            sql.Append(' ').Append(_text[_position++]).Append(' ').Append(ParseMultiplicative(insideAggregate));
        }
        return sql.ToString();
    }

    private string ParseMultiplicative(bool insideAggregate)
    {
        var sql = new StringBuilder(ParseUnary(insideAggregate));
        while (SkipSpace() < _text.Length && _text[_position] is '*' or '/' or '%')
        {
            sql.Append(' ').Append(_text[_position++]).Append(' ').Append(ParseUnary(insideAggregate));
        }
        return sql.ToString();
    }

    private string ParseUnary(bool insideAggregate)
    {
        SkipSpace();
        if (TryRead('-'))
        {
            return "-" + ParseUnary(insideAggregate);
        }
        if (TryRead('('))
        {
            var inner = ParseAdditive(insideAggregate);
            SkipSpace();
            return TryRead(')') ? $"({inner})" : throw Invalid("')'");
        }
        if (_position < _text.Length && (char.IsAsciiDigit(_text[_position]) || _text[_position] == '.'))
        {
            return ReadNumber();
        }
        var start = _position;
        var name = ReadIdentifier(out var quoted) ?? throw Invalid("a number, a column or a function");
        SkipSpace();
        if (!quoted && TryRead('('))
        {
            return ParseCall(name.ToLowerInvariant(), start, insideAggregate);
        }
        // PostgreSQL folds an unquoted name to lower case; a column of that exact spelling is taken first.
        var column = _columns.Contains(name) ? name
            : !quoted && _columns.Contains(name.ToLowerInvariant()) ? name.ToLowerInvariant()
            : throw new WidgetError(WidgetError.ColumnNotFound, name);
        return "source." + SqlIdentifier.Quote(column);
    }

    private string ParseCall(string function, int start, bool insideAggregate)
    {
        var aggregate = Aggregates.Contains(function);
        if (!aggregate && !Scalars.Contains(function))
        {
            _position = start;
            throw Invalid($"a known function ('{function}' is not one)");
        }
        if (aggregate && insideAggregate)
        {
            _position = start;
            throw Invalid("no aggregate inside another");
        }
        _hasAggregate |= aggregate;
        SkipSpace();
        if (function == "count" && TryRead('*'))
        {
            SkipSpace();
            return TryRead(')') ? "count(*)" : throw Invalid("')'");
        }
        var distinct = aggregate && PeekWord() is { } word && word.Equals("distinct", StringComparison.OrdinalIgnoreCase);
        if (distinct)
        {
            ReadWord();
        }
        var arguments = new List<string> { ParseAdditive(insideAggregate || aggregate) };
        while (SkipSpace() < _text.Length && TryRead(','))
        {
            arguments.Add(ParseAdditive(insideAggregate || aggregate));
        }
        SkipSpace();
        return TryRead(')') ? $"{function}({(distinct ? "DISTINCT " : "")}{string.Join(", ", arguments)})" : throw Invalid("')' or ','");
    }

    private string ReadNumber()
    {
        var start = _position;
        while (_position < _text.Length && (char.IsAsciiDigit(_text[_position]) || _text[_position] == '.'))
        {
            _position++;
        }
        if (_position < _text.Length && _text[_position] is 'e' or 'E')
        {
            _position++;
            if (_position < _text.Length && _text[_position] is '+' or '-')
            {
                _position++;
            }
            while (_position < _text.Length && char.IsAsciiDigit(_text[_position]))
            {
                _position++;
            }
        }
        var text = _text[start.._position];
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            _position = start;
            throw Invalid("a number");
        }
        // Written back in PostgreSQL's own syntax for a numeric constant, which this is.
        return text;
    }

    /// <summary>A name: letters, digits and underscores, or a double-quoted identifier (<c>""</c> is a quote).</summary>
    private string? ReadIdentifier(out bool quoted)
    {
        SkipSpace();
        quoted = false;
        if (_position < _text.Length && _text[_position] == '"')
        {
            quoted = true;
            var name = new StringBuilder();
            for (_position++; _position < _text.Length; _position++)
            {
                if (_text[_position] != '"')
                {
                    name.Append(_text[_position]);
                }
                else if (_position + 1 < _text.Length && _text[_position + 1] == '"')
                {
                    name.Append('"');
                    _position++;
                }
                else
                {
                    _position++;
                    return name.Length > 0 ? name.ToString() : null;
                }
            }
            return null;
        }
        return ReadWord();
    }

    private string? ReadWord()
    {
        SkipSpace();
        var start = _position;
        if (_position < _text.Length && (char.IsLetter(_text[_position]) || _text[_position] == '_'))
        {
            while (_position < _text.Length && (char.IsLetterOrDigit(_text[_position]) || _text[_position] is '_' or '$'))
            {
                _position++;
            }
        }
        return _position > start ? _text[start.._position] : null;
    }

    private string? PeekWord()
    {
        var position = _position;
        var word = ReadWord();
        _position = position;
        return word;
    }

    private int SkipSpace()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
        {
            _position++;
        }
        return _position;
    }

    private bool TryRead(char c)
    {
        if (_position < _text.Length && _text[_position] == c)
        {
            _position++;
            return true;
        }
        return false;
    }

    private void ExpectEnd()
    {
        if (SkipSpace() < _text.Length)
        {
            throw Invalid("the end of the expression");
        }
    }

    private WidgetError Invalid(string expected) => new(WidgetError.InvalidExpression,
        $"'{_text}' is not an aggregate expression this API runs: expected {expected} at character {_position + 1}.");
}
