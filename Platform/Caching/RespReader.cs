using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Text;

namespace CartoSelfHosted.Platform.Caching;

/// <summary>
/// Reads RESP2 replies from a connection. A reply is first scanned until it is complete, without allocating, then
/// turned into a <see cref="RedisReply"/> once, so a large reply arriving in many reads is never half built and thrown
/// away. The scan resumes where the last read left it (an array of many elements is not scanned again from its start),
/// and for a bulk string whose length is known it waits for all of it in one read call.
/// </summary>
internal sealed class RespReader(PipeReader reader)
{
    // Deeper than any reply Redis sends; it keeps a hostile stream from exhausting the stack.
    private const int MaxDepth = 64;
    // Past this, a reply's line (a simple string, an error) has no end in sight: the stream is not RESP.
    private const int MaxLineLength = 1024 * 1024;

    // Elements still to come in each array the scan is inside, innermost on top.
    private readonly Stack<long> _pending = new();
    // Bytes of the reply scanned so far; always at the start of an element.
    private long _scanned;

    public async ValueTask<RedisReply> ReadAsync(CancellationToken cancellationToken)
    {
        _pending.Clear();
        _scanned = 0;
        long needed = 0;
        while (true)
        {
            var result = needed > 0
                ? await reader.ReadAtLeastAsync(needed <= int.MaxValue ? (int)needed : throw new RedisProtocolException("a reply larger than 2 GB"), cancellationToken)
                : await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryScan(buffer, out needed))
            {
                var reply = buffer.Slice(0, _scanned);
                var sequence = new SequenceReader<byte>(reply);
                var parsed = Parse(ref sequence);
                reader.AdvanceTo(reply.End);
                return parsed;
            }
            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                throw new IOException(buffer.IsEmpty ? "Redis closed the connection." : "Redis closed the connection in the middle of a reply.");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>True when the buffer holds the whole reply (<see cref="_scanned"/> bytes); otherwise how many bytes it needs, when known.</summary>
    private bool TryScan(ReadOnlySequence<byte> buffer, out long needed)
    {
        needed = 0;
        var sequence = new SequenceReader<byte>(buffer);
        sequence.Advance(_scanned);
        while (true)
        {
            if (!TryReadLine(ref sequence, out var prefix, out var line))
            {
                return false;
            }
            switch (prefix)
            {
                case (byte)'+' or (byte)'-' or (byte)':':
                    break;
                case (byte)'$':
                    var length = ParseLength(line);
                    if (length >= 0)
                    {
                        if (sequence.Remaining < length + 2)
                        {
                            needed = sequence.Consumed + length + 2;
                            return false;
                        }
                        sequence.Advance(length + 2);
                    }
                    break;
                case (byte)'*':
                    var count = ParseLength(line);
                    if (count > 0)
                    {
                        if (_pending.Count == MaxDepth)
                        {
                            throw new RedisProtocolException($"arrays nested deeper than {MaxDepth}");
                        }
                        _pending.Push(count);
                        _scanned = sequence.Consumed;
                        continue;
                    }
                    break;
                default:
                    throw new RedisProtocolException($"a reply starting with byte 0x{prefix:x2}");
            }
            // One element complete: it may complete its array, and that array its own.
            _scanned = sequence.Consumed;
            while (_pending.TryPop(out var left))
            {
                if (left > 1)
                {
                    _pending.Push(left - 1);
                    break;
                }
            }
            if (_pending.Count == 0)
            {
                return true;
            }
        }
    }

    /// <summary>Builds a reply the scan found complete.</summary>
    private static RedisReply Parse(ref SequenceReader<byte> sequence)
    {
        TryReadLine(ref sequence, out var prefix, out var line);
        switch (prefix)
        {
            case (byte)'+':
                return RedisReply.SimpleString(Encoding.UTF8.GetString(line));
            case (byte)'-':
                return RedisReply.Error(Encoding.UTF8.GetString(line));
            case (byte)':':
                return RedisReply.FromInteger(ParseInteger(line));
            case (byte)'$':
                var length = ParseLength(line);
                if (length < 0)
                {
                    return RedisReply.Null;
                }
                // Uninitialized: every byte is overwritten at once, and a tile can be megabytes.
                var bytes = length == 0 ? [] : GC.AllocateUninitializedArray<byte>((int)length);
                sequence.UnreadSequence.Slice(0, length).CopyTo(bytes);
                sequence.Advance(length);
                if (!sequence.IsNext("\r\n"u8, advancePast: true))
                {
                    throw new RedisProtocolException("a bulk string not followed by CRLF");
                }
                return RedisReply.BulkString(bytes);
            default:
                var count = ParseLength(line);
                if (count < 0)
                {
                    return RedisReply.Null;
                }
                var elements = new RedisReply[count];
                for (var i = 0; i < elements.Length; i++)
                {
                    elements[i] = Parse(ref sequence);
                }
                return RedisReply.Array(elements);
        }
    }

    private static bool TryReadLine(ref SequenceReader<byte> sequence, out byte prefix, out ReadOnlySequence<byte> line)
    {
        line = default;
        if (!sequence.TryRead(out prefix))
        {
            return false;
        }
        if (sequence.TryReadTo(out line, "\r\n"u8))
        {
            return true;
        }
        if (sequence.Remaining > MaxLineLength)
        {
            throw new RedisProtocolException($"a line longer than {MaxLineLength} bytes");
        }
        return false;
    }

    /// <summary>A bulk string's or an array's length: -1 (null) or more, and no larger than a reply can be.</summary>
    private static long ParseLength(in ReadOnlySequence<byte> line)
    {
        var length = ParseInteger(line);
        return length is >= -1 and <= int.MaxValue ? length : throw new RedisProtocolException($"a length of {length}");
    }

    private static long ParseInteger(in ReadOnlySequence<byte> line)
    {
        Span<byte> copy = stackalloc byte[20];
        if (line.Length is 0 or > 20)
        {
            throw new RedisProtocolException("an integer of no digits or too many");
        }
        var digits = line.IsSingleSegment ? line.FirstSpan : copy[..(int)line.Length];
        if (!line.IsSingleSegment)
        {
            line.CopyTo(copy);
        }
        return Utf8Parser.TryParse(digits, out long value, out var consumed) && consumed == digits.Length
            ? value
            : throw new RedisProtocolException("an integer that does not parse");
    }
}
