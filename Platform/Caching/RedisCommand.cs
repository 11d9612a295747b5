using System.Text;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>One command: its name and arguments, sent as a RESP array of bulk strings.</summary>
public sealed class RedisCommand
{
    public RedisCommand(string name, params RedisArgument[] arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(arguments);
        Name = name;
        Arguments = arguments;
    }

    public string Name { get; }

    public IReadOnlyList<RedisArgument> Arguments { get; }

    /// <summary>The name only: arguments can be cached values, and values are never logged.</summary>
    public override string ToString() => Name;
}

/// <summary>
/// One argument of a command: bytes as they are (binary-safe values), text as UTF-8 (keys), or an integer in decimal.
/// Text and integers are encoded straight into the connection's buffer, not into an array of their own first.
/// </summary>
public readonly struct RedisArgument
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly string? _text;
    private readonly long _integer;
    private readonly Form _form;

    private RedisArgument(ReadOnlyMemory<byte> bytes, string? text, long integer, Form form) =>
        (_bytes, _text, _integer, _form) = (bytes, text, integer, form);

    private enum Form
    {
        Bytes,
        Text,
        Integer,
    }

    public static implicit operator RedisArgument(ReadOnlyMemory<byte> bytes) => new(bytes, null, 0, Form.Bytes);

    public static implicit operator RedisArgument(byte[] bytes) =>
        new(bytes ?? throw new ArgumentNullException(nameof(bytes)), null, 0, Form.Bytes);

    public static implicit operator RedisArgument(string text) =>
        new(default, text ?? throw new ArgumentNullException(nameof(text)), 0, Form.Text);

    public static implicit operator RedisArgument(long integer) => new(default, null, integer, Form.Integer);

    internal bool IsText => _form == Form.Text;

    internal bool IsInteger => _form == Form.Integer;

    internal ReadOnlyMemory<byte> Bytes => _bytes;

    internal string Text => _text ?? "";

    internal long Integer => _integer;

    /// <summary>A description without the content: arguments can be cached values, and values are never logged.</summary>
    public override string ToString() => _form switch
    {
        Form.Text => $"text of {Encoding.UTF8.GetByteCount(Text)} bytes",
        Form.Integer => "integer",
        _ => $"{_bytes.Length} bytes",
    };
}
