using System.Globalization;
using System.Runtime.CompilerServices;

namespace CartoSelfHosted.Platform.Imports;

/// <summary>The column types an import infers, narrowest first.</summary>
public enum ColumnType
{
    Boolean,
    Integer,
    BigInt,
    Double,
    Date,
    Timestamp,
    Text,
}

/// <summary>
/// Chooses a column type from the values read and parses values for it. Text is read exactly as written: no trimming,
/// no locale, so that a value <see cref="Infer"/> gives a type always parses as that type (and as any type
/// <see cref="Widen"/> makes of it). These run on every value of a file: hand-written scanners, no regex, no exceptions,
/// optimized from their first call rather than after a file's first hundred thousand values.
/// </summary>
public static class ColumnTypes
{
    /// <summary>The narrowest type that holds <paramref name="value"/>; null when the value says nothing (null, empty, blank).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ColumnType? Infer(FieldValue value) => value.Kind switch
    {
        FieldKind.Null => null,
        FieldKind.Boolean => ColumnType.Boolean,
        FieldKind.Number => InferNumber(value.Text),
        FieldKind.String => InferText(value.Text),
        _ => ColumnType.Text,
    };

    /// <summary>The narrowest type that holds the values of both types.</summary>
    public static ColumnType Widen(ColumnType current, ColumnType next)
    {
        if (current == next)
        {
            return current;
        }
        var (low, high) = current < next ? (current, next) : (next, current);
        return (low, high) switch
        {
            (ColumnType.Integer, ColumnType.BigInt) => ColumnType.BigInt,
            (ColumnType.Integer or ColumnType.BigInt, ColumnType.Double) => ColumnType.Double,
            (ColumnType.Date, ColumnType.Timestamp) => ColumnType.Timestamp,
            _ => ColumnType.Text,
        };
    }

    public static string SqlName(ColumnType type) => type switch
    {
        ColumnType.Boolean => "boolean",
        ColumnType.Integer => "integer",
        ColumnType.BigInt => "bigint",
        ColumnType.Double => "double precision",
        ColumnType.Date => "date",
        ColumnType.Timestamp => "timestamp",
        ColumnType.Text => "text",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary><c>true</c> or <c>false</c> in any case; not yes/no or 1/0, which are as often codes as answers.</summary>
    public static bool TryParseBoolean(string text, out bool value)
    {
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            value = true;
            return true;
        }
        value = false;
        return text.Equals("false", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A calendar date written <c>yyyy-MM-dd</c>.</summary>
    public static bool TryParseDate(string text, out DateOnly value)
    {
        if (text.Length == DateLength && TryReadDate(text, out var year, out var month, out var day))
        {
            value = new DateOnly(year, month, day);
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>
    /// An ISO 8601 date and time (<c>T</c> or a space between them, minutes required, seconds and fractions optional,
    /// then optionally <c>Z</c>, <c>±hh:mm</c> or <c>±hhmm</c>), or a date alone (midnight), which a date column
    /// widened to timestamps holds. A value with an offset comes back as the same instant in UTC. The kind is always
    /// <see cref="DateTimeKind.Unspecified"/>: the column is <c>timestamp</c> without time zone, which Npgsql refuses
    /// to write a <see cref="DateTimeKind.Utc"/> value to.
    /// </summary>
    public static bool TryParseTimestamp(string text, out DateTime value)
    {
        if (text.Length == DateLength && TryReadDate(text, out var year, out var month, out var day))
        {
            value = new DateTime(year, month, day);
            return true;
        }
        return TryReadTimestamp(text, out value);
    }

    private const int DateLength = 10;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ColumnType InferNumber(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return ColumnType.Text;
        }
        if (TryReadInteger(text, out var integer))
        {
            return integer is >= int.MinValue and <= int.MaxValue ? ColumnType.Integer : ColumnType.BigInt;
        }
        return IsDouble(text) ? ColumnType.Double : ColumnType.Text;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ColumnType? InferText(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var first = text[0];
        if (first is 't' or 'T' or 'f' or 'F')
        {
            return TryParseBoolean(text, out _) ? ColumnType.Boolean : ColumnType.Text;
        }
        if (!char.IsAsciiDigit(first) && first is not '-' and not '.')
        {
            return ColumnType.Text;
        }
        if (text.Length >= DateLength && text[4] == '-')
        {
            if (TryReadDate(text, out _, out _, out _))
            {
                if (text.Length == DateLength)
                {
                    return ColumnType.Date;
                }
                return TryReadTimestamp(text, out _) ? ColumnType.Timestamp : ColumnType.Text;
            }
            return ColumnType.Text;
        }
        return InferDecimal(text);
    }

    /// <summary>
    /// A plain decimal number as people write it in a table: an optional minus, no thousands separators, and no
    /// leading zero before other digits (<c>01234</c> is a code, a ZIP or an id, whose zero an integer would lose).
    /// Integers too long for a bigint stay text rather than lose digits in a double.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ColumnType InferDecimal(string text)
    {
        var position = text[0] == '-' ? 1 : 0;
        var integerStart = position;
        while (position < text.Length && char.IsAsciiDigit(text[position]))
        {
            position++;
        }
        var integerDigits = position - integerStart;
        if (integerDigits > 1 && text[integerStart] == '0')
        {
            return ColumnType.Text;
        }
        if (position == text.Length)
        {
            if (integerDigits == 0)
            {
                return ColumnType.Text;
            }
            if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            {
                return ColumnType.Text;
            }
            return integer is >= int.MinValue and <= int.MaxValue ? ColumnType.Integer : ColumnType.BigInt;
        }
        var fractionDigits = 0;
        if (text[position] == '.')
        {
            position++;
            var fractionStart = position;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }
            fractionDigits = position - fractionStart;
        }
        if (integerDigits + fractionDigits == 0)
        {
            return ColumnType.Text;
        }
        var hasExponent = position < text.Length && text[position] is 'e' or 'E';
        if (hasExponent)
        {
            position++;
            if (position < text.Length && text[position] is '+' or '-')
            {
                position++;
            }
            var exponentStart = position;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }
            if (position == exponentStart)
            {
                return ColumnType.Text;
            }
        }
        if (position != text.Length)
        {
            return ColumnType.Text;
        }
        // Without an exponent, a number of fewer than 300 digits is finite, and cannot underflow: no need to parse it.
        return (!hasExponent && text.Length < 300) || IsDouble(text) ? ColumnType.Double : ColumnType.Text;
    }

    /// <summary>
    /// Whether a number's text is a double PostgreSQL takes: finite, and not so small it underflows to zero, which
    /// PostgreSQL refuses as out of range (<c>1e-400</c>).
    /// </summary>
    private static bool IsDouble(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
        && double.IsFinite(number)
        && (number != 0 || !HasNonZeroDigit(text));

    private static bool HasNonZeroDigit(string text)
    {
        foreach (var c in text)
        {
            if (c is 'e' or 'E')
            {
                return false;
            }
            if (c is >= '1' and <= '9')
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A JSON number that is a whole number without a fraction or exponent and fits in a bigint.</summary>
    private static bool TryReadInteger(string text, out long value)
    {
        value = 0;
        var start = text[0] == '-' ? 1 : 0;
        if (start == text.Length)
        {
            return false;
        }
        for (var i = start; i < text.Length; i++)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                return false;
            }
        }
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Reads <c>yyyy-MM-dd</c> from the start of <paramref name="text"/> (at least 10 characters long).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryReadDate(string text, out int year, out int month, out int day)
    {
        month = day = 0;
        if (!TryReadDigits(text, 0, 4, out year) || text[4] != '-' || !TryReadDigits(text, 5, 2, out month) || text[7] != '-'
            || !TryReadDigits(text, 8, 2, out day))
        {
            return false;
        }
        return year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryReadTimestamp(string text, out DateTime value)
    {
        value = default;
        // yyyy-MM-ddThh:mm is the shortest form.
        if (text.Length < 16 || !TryReadDate(text, out var year, out var month, out var day) || text[10] is not ('T' or ' ')
            || !TryReadDigits(text, 11, 2, out var hour) || text[13] != ':' || !TryReadDigits(text, 14, 2, out var minute)
            || hour > 23 || minute > 59)
        {
            return false;
        }
        var position = 16;
        var second = 0;
        long fractionTicks = 0;
        if (position < text.Length && text[position] == ':')
        {
            if (!TryReadDigits(text, position + 1, 2, out second) || second > 59)
            {
                return false;
            }
            position += 3;
            if (position < text.Length && text[position] == '.')
            {
                position++;
                var fractionStart = position;
                long scale = TimeSpan.TicksPerSecond;
                while (position < text.Length && char.IsAsciiDigit(text[position]))
                {
                    // Digits past the tick (100 ns) are dropped; PostgreSQL keeps microseconds anyway.
                    scale /= 10;
                    fractionTicks += (text[position] - '0') * scale;
                    position++;
                }
                if (position == fractionStart || position - fractionStart > 9)
                {
                    return false;
                }
            }
        }
        var offsetMinutes = 0;
        if (position < text.Length)
        {
            var sign = text[position];
            if (sign == 'Z' && position + 1 == text.Length)
            {
                position++;
            }
            else if (sign is '+' or '-' && TryReadOffset(text, position + 1, out offsetMinutes))
            {
                offsetMinutes = sign == '-' ? -offsetMinutes : offsetMinutes;
                position = text.Length;
            }
            else
            {
                return false;
            }
        }
        var ticks = new DateTime(year, month, day, hour, minute, second).Ticks + fractionTicks - offsetMinutes * TimeSpan.TicksPerMinute;
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
        {
            return false;
        }
        value = new DateTime(ticks, DateTimeKind.Unspecified);
        return true;
    }

    /// <summary>Reads <c>hh:mm</c> or <c>hhmm</c>, the rest of the text.</summary>
    private static bool TryReadOffset(string text, int start, out int minutes)
    {
        minutes = 0;
        var length = text.Length - start;
        if (!TryReadDigits(text, start, 2, out var hours))
        {
            return false;
        }
        int offsetMinutes;
        if (length == 5 && text[start + 2] == ':')
        {
            if (!TryReadDigits(text, start + 3, 2, out offsetMinutes))
            {
                return false;
            }
        }
        else if (length != 4 || !TryReadDigits(text, start + 2, 2, out offsetMinutes))
        {
            return false;
        }
        if (hours > 18 || offsetMinutes > 59)
        {
            return false;
        }
        minutes = hours * 60 + offsetMinutes;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryReadDigits(string text, int start, int count, out int value)
    {
        value = 0;
        if (start + count > text.Length)
        {
            return false;
        }
        for (var i = start; i < start + count; i++)
        {
            var digit = text[i] - '0';
            if ((uint)digit > 9)
            {
                return false;
            }
            value = value * 10 + digit;
        }
        return true;
    }
}
