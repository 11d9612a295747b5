using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// Writes commands as RESP arrays of bulk strings. Headers, keys and small values are gathered in one reused buffer,
/// so a pipeline of many commands leaves in one write; a large value (a tile of a few MB) goes from the caller's memory
/// to the socket as it is, never copied.
/// </summary>
internal sealed class RespWriter(Stream stream) : IDisposable
{
    private const int BufferSize = 16 * 1024;
    // A value at least this long is written on its own rather than copied into the buffer.
    private const int DirectWriteSize = 16 * 1024;
    // A buffer grown past this (a long key, a script) is given back after the write rather than kept per connection.
    private const int MaxRetainedSize = 256 * 1024;
    // "*" or "$", a long in decimal, "\r\n".
    private const int MaxHeaderSize = 1 + 20 + 2;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _length;

    public async ValueTask WriteAsync(IReadOnlyList<RedisCommand> commands, CancellationToken cancellationToken)
    {
        foreach (var command in commands)
        {
            WriteHeader((byte)'*', command.Arguments.Count + 1);
            WriteText(command.Name);
            foreach (var argument in command.Arguments)
            {
                if (argument.IsText)
                {
                    WriteText(argument.Text);
                }
                else if (argument.IsInteger)
                {
                    WriteInteger(argument.Integer);
                }
                else if (argument.Bytes.Length >= DirectWriteSize)
                {
                    WriteHeader((byte)'$', argument.Bytes.Length);
                    await FlushAsync(cancellationToken);
                    await stream.WriteAsync(argument.Bytes, cancellationToken);
                    WriteCrlf();
                }
                else
                {
                    WriteHeader((byte)'$', argument.Bytes.Length);
                    EnsureCapacity(argument.Bytes.Length + 2);
                    argument.Bytes.Span.CopyTo(_buffer.AsSpan(_length));
                    _length += argument.Bytes.Length;
                    WriteCrlf();
                }
            }
        }
        await FlushAsync(cancellationToken);
        if (_buffer.Length > MaxRetainedSize)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_length > 0)
        {
            // Reset first: after a failed write the connection is thrown away, but the buffer must not replay.
            var length = _length;
            _length = 0;
            await stream.WriteAsync(_buffer.AsMemory(0, length), cancellationToken);
        }
    }

    private void WriteHeader(byte prefix, long count)
    {
        EnsureCapacity(MaxHeaderSize);
        _buffer[_length++] = prefix;
        Utf8Formatter.TryFormat(count, _buffer.AsSpan(_length), out var written);
        _length += written;
        WriteCrlf();
    }

    private void WriteText(string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        WriteHeader((byte)'$', length);
        EnsureCapacity(length + 2);
        _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
        WriteCrlf();
    }

    private void WriteInteger(long integer)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(integer, digits, out var written);
        WriteHeader((byte)'$', written);
        EnsureCapacity(written + 2);
        digits[..written].CopyTo(_buffer.AsSpan(_length));
        _length += written;
        WriteCrlf();
    }

    private void WriteCrlf()
    {
        EnsureCapacity(2);
        _buffer[_length++] = (byte)'\r';
        _buffer[_length++] = (byte)'\n';
    }

    private void EnsureCapacity(int size)
    {
        if (_buffer.Length - _length >= size)
        {
            return;
        }
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + size));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
