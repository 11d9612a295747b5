using System.Globalization;
using CartoSelfHosted.Platform.Imports;

namespace CartoSelfHosted.Platform.Tests;

public sealed class ColumnTypesTests
{
    [Theory]
    [InlineData("true", ColumnType.Boolean)]
    [InlineData("FALSE", ColumnType.Boolean)]
    [InlineData("True", ColumnType.Boolean)]
    [InlineData("yes", ColumnType.Text)]
    [InlineData("no", ColumnType.Text)]
    [InlineData("t", ColumnType.Text)]
    [InlineData("0", ColumnType.Integer)]
    [InlineData("1", ColumnType.Integer)]
    [InlineData("12", ColumnType.Integer)]
    [InlineData("-12", ColumnType.Integer)]
    [InlineData("2147483647", ColumnType.Integer)]
    [InlineData("-2147483648", ColumnType.Integer)]
    [InlineData("2147483648", ColumnType.BigInt)]
    [InlineData("-9223372036854775808", ColumnType.BigInt)]
    [InlineData("9223372036854775808", ColumnType.Text)]
    [InlineData("01234", ColumnType.Text)]
    [InlineData("-01", ColumnType.Text)]
    [InlineData("00.5", ColumnType.Text)]
    [InlineData("+12", ColumnType.Text)]
    [InlineData("-", ColumnType.Text)]
    [InlineData("1.5", ColumnType.Double)]
    [InlineData("-0.25", ColumnType.Double)]
    [InlineData("0.5", ColumnType.Double)]
    [InlineData(".5", ColumnType.Double)]
    [InlineData("1e10", ColumnType.Double)]
    [InlineData("-1.5E-3", ColumnType.Double)]
    [InlineData("1e", ColumnType.Text)]
    [InlineData("1e999", ColumnType.Text)]
    [InlineData("1e-400", ColumnType.Text)]
    [InlineData("0e-400", ColumnType.Double)]
    [InlineData("1,000", ColumnType.Text)]
    [InlineData("1,5", ColumnType.Text)]
    [InlineData("1.000.000", ColumnType.Text)]
    [InlineData("NaN", ColumnType.Text)]
    [InlineData("Infinity", ColumnType.Text)]
    [InlineData("-Infinity", ColumnType.Text)]
    [InlineData(" 12", ColumnType.Text)]
    [InlineData("12 ", ColumnType.Text)]
    [InlineData("2024-02-29", ColumnType.Date)]
    [InlineData("2023-02-29", ColumnType.Text)]
    [InlineData("2024-13-01", ColumnType.Text)]
    [InlineData("0000-01-01", ColumnType.Text)]
    [InlineData("2024/01/15", ColumnType.Text)]
    [InlineData("15-01-2024", ColumnType.Text)]
    [InlineData("2024-01-15T10:30", ColumnType.Timestamp)]
    [InlineData("2024-01-15 10:30:45", ColumnType.Timestamp)]
    [InlineData("2024-01-15T10:30:45.123456Z", ColumnType.Timestamp)]
    [InlineData("2024-01-15T10:30:45+02:00", ColumnType.Timestamp)]
    [InlineData("2024-01-15T10:30:45-0530", ColumnType.Timestamp)]
    [InlineData("2024-01-15T24:00", ColumnType.Text)]
    [InlineData("2024-01-15T10:60", ColumnType.Text)]
    [InlineData("2024-01-15T10:30:45.", ColumnType.Text)]
    [InlineData("2024-01-15T10:30:45 UTC", ColumnType.Text)]
    [InlineData("2024-01-15T10", ColumnType.Text)]
    [InlineData("0001-01-01T00:30+01:00", ColumnType.Text)]
    [InlineData("Tokyo", ColumnType.Text)]
    [InlineData("abc", ColumnType.Text)]
    [InlineData("12abc", ColumnType.Text)]
    [InlineData("1234-5678", ColumnType.Text)]
    public void InfersTheNarrowestTypeOfAString(string text, ColumnType expected) =>
        Assert.Equal(expected, ColumnTypes.Infer(FieldValue.String(text)));

    [Fact]
    public void NumbersOutOfADoublesRangeAreText()
    {
        Assert.Equal(ColumnType.Text, ColumnTypes.Infer(FieldValue.String("1" + new string('0', 310) + ".5")));
        Assert.Equal(ColumnType.Text, ColumnTypes.Infer(FieldValue.String("0." + new string('0', 400) + "1")));
        Assert.Equal(ColumnType.Double, ColumnTypes.Infer(FieldValue.String("1" + new string('0', 290) + ".5")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t")]
    public void EmptyAndBlankStringsSayNothing(string text) => Assert.Null(ColumnTypes.Infer(FieldValue.String(text)));

    [Theory]
    [InlineData("12", ColumnType.Integer)]
    [InlineData("-2147483648", ColumnType.Integer)]
    [InlineData("3000000000", ColumnType.BigInt)]
    [InlineData("1.0", ColumnType.Double)]
    [InlineData("1e3", ColumnType.Double)]
    [InlineData("-0.5", ColumnType.Double)]
    [InlineData("123456789012345678901234567890", ColumnType.Double)]
    [InlineData("1e999", ColumnType.Text)]
    public void InfersJsonNumbers(string text, ColumnType expected) =>
        Assert.Equal(expected, ColumnTypes.Infer(new FieldValue(FieldKind.Number, text)));

    [Fact]
    public void InfersOtherKinds()
    {
        Assert.Null(ColumnTypes.Infer(FieldValue.Null));
        Assert.Equal(ColumnType.Boolean, ColumnTypes.Infer(new FieldValue(FieldKind.Boolean, "true")));
        Assert.Equal(ColumnType.Text, ColumnTypes.Infer(new FieldValue(FieldKind.Json, "{\"a\":1}")));
        Assert.Equal(ColumnType.Text, ColumnTypes.Infer(new FieldValue(FieldKind.Json, "[1,2]")));
    }

    [Theory]
    [InlineData(ColumnType.Integer, ColumnType.Integer, ColumnType.Integer)]
    [InlineData(ColumnType.Integer, ColumnType.BigInt, ColumnType.BigInt)]
    [InlineData(ColumnType.BigInt, ColumnType.Integer, ColumnType.BigInt)]
    [InlineData(ColumnType.Integer, ColumnType.Double, ColumnType.Double)]
    [InlineData(ColumnType.Double, ColumnType.BigInt, ColumnType.Double)]
    [InlineData(ColumnType.Date, ColumnType.Timestamp, ColumnType.Timestamp)]
    [InlineData(ColumnType.Timestamp, ColumnType.Date, ColumnType.Timestamp)]
    [InlineData(ColumnType.Boolean, ColumnType.Integer, ColumnType.Text)]
    [InlineData(ColumnType.Integer, ColumnType.Date, ColumnType.Text)]
    [InlineData(ColumnType.Double, ColumnType.Timestamp, ColumnType.Text)]
    [InlineData(ColumnType.Boolean, ColumnType.Boolean, ColumnType.Boolean)]
    [InlineData(ColumnType.Text, ColumnType.Integer, ColumnType.Text)]
    [InlineData(ColumnType.Double, ColumnType.Text, ColumnType.Text)]
    public void WidensToTheSmallestTypeHoldingBoth(ColumnType a, ColumnType b, ColumnType expected) =>
        Assert.Equal(expected, ColumnTypes.Widen(a, b));

    [Theory]
    [InlineData(ColumnType.Boolean, "boolean")]
    [InlineData(ColumnType.Integer, "integer")]
    [InlineData(ColumnType.BigInt, "bigint")]
    [InlineData(ColumnType.Double, "double precision")]
    [InlineData(ColumnType.Date, "date")]
    [InlineData(ColumnType.Timestamp, "timestamp")]
    [InlineData(ColumnType.Text, "text")]
    public void NamesTypesAsPostgreSqlDoes(ColumnType type, string sql) => Assert.Equal(sql, ColumnTypes.SqlName(type));

    [Theory]
    [InlineData("true", true, true)]
    [InlineData("TRUE", true, true)]
    [InlineData("False", true, false)]
    [InlineData("yes", false, false)]
    [InlineData("1", false, false)]
    [InlineData("0", false, false)]
    [InlineData(" true", false, false)]
    public void ParsesBooleans(string text, bool parses, bool expected)
    {
        Assert.Equal(parses, ColumnTypes.TryParseBoolean(text, out var value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void ParsesDates()
    {
        Assert.True(ColumnTypes.TryParseDate("2024-02-29", out var date));
        Assert.Equal(new DateOnly(2024, 2, 29), date);
        Assert.False(ColumnTypes.TryParseDate("2023-02-29", out _));
        Assert.False(ColumnTypes.TryParseDate("2024-01-15T10:30", out _));
        Assert.False(ColumnTypes.TryParseDate("2024-1-15", out _));
    }

    [Theory]
    [InlineData("2024-01-15T10:30", "2024-01-15T10:30:00.0000000")]
    [InlineData("2024-01-15 10:30:45", "2024-01-15T10:30:45.0000000")]
    [InlineData("2024-01-15T10:30:45.5", "2024-01-15T10:30:45.5000000")]
    [InlineData("2024-01-15T10:30:45.123456789", "2024-01-15T10:30:45.1234567")]
    [InlineData("2024-01-15T10:30:45Z", "2024-01-15T10:30:45.0000000")]
    [InlineData("2024-01-15T10:30:00+02:00", "2024-01-15T08:30:00.0000000")]
    [InlineData("2024-01-15T23:30:00-02:00", "2024-01-16T01:30:00.0000000")]
    [InlineData("2024-01-15T10:30:00+0530", "2024-01-15T05:00:00.0000000")]
    [InlineData("2024-01-15", "2024-01-15T00:00:00.0000000")]
    public void ParsesTimestampsToUtc(string text, string expected)
    {
        Assert.True(ColumnTypes.TryParseTimestamp(text, out var value));
        Assert.Equal(expected, value.ToString("O", CultureInfo.InvariantCulture));
        Assert.Equal(DateTimeKind.Unspecified, value.Kind);
    }

    [Theory]
    [InlineData("2024-01-15T10:30:45+25:00")]
    [InlineData("2024-01-15T10:30:45+02")]
    [InlineData("2024-01-15T10:30:45Zulu")]
    [InlineData("9999-12-31T23:30-01:00")]
    [InlineData("yesterday")]
    public void RefusesWhatIsNotATimestamp(string text) => Assert.False(ColumnTypes.TryParseTimestamp(text, out _));

    /// <summary>What a column is given must be what its values parse as: the import writes them with these parsers.</summary>
    [Theory]
    [InlineData("true")]
    [InlineData("FALSE")]
    [InlineData("42")]
    [InlineData("-2147483648")]
    [InlineData("9223372036854775807")]
    [InlineData("3.25")]
    [InlineData(".5")]
    [InlineData("6.02e23")]
    [InlineData("2024-02-29")]
    [InlineData("2024-02-29T12:00")]
    [InlineData("2024-02-29 12:00:01.25+01:00")]
    public void WhatInferReturnsParses(string text)
    {
        var type = ColumnTypes.Infer(FieldValue.String(text));
        var parses = type switch
        {
            ColumnType.Boolean => ColumnTypes.TryParseBoolean(text, out _),
            ColumnType.Integer => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            ColumnType.BigInt => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            ColumnType.Double => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
            ColumnType.Date => ColumnTypes.TryParseDate(text, out _) && ColumnTypes.TryParseTimestamp(text, out _),
            ColumnType.Timestamp => ColumnTypes.TryParseTimestamp(text, out _),
            _ => false,
        };
        Assert.True(parses, $"{text} inferred {type} but does not parse as it");
    }
}
