namespace CartoSelfHosted.Integration.Tests.ObjectStorage;

/// <summary>
/// A read-only stream of <paramref name="length"/> bytes of a known pattern, made as it is read (a large upload without
/// its bytes in memory). Past <paramref name="breakAfter"/> bytes it calls <paramref name="breaks"/>, which throws as a
/// client that went away would, or cancels the upload.
/// </summary>
internal sealed class PatternStream(long length, long breakAfter = long.MaxValue, Action? breaks = null) : Stream
{
    private long _position;

    public static byte ByteAt(long position) => (byte)(position * 31 + position / 4093);

    /// <summary>The pattern's first <paramref name="length"/> bytes, for comparing what a store gives back.</summary>
    public static byte[] Expected(long length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = ByteAt(i);
        }
        return bytes;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_position >= breakAfter)
        {
            breaks?.Invoke();
        }
        var end = _position < breakAfter ? Math.Min(length, breakAfter) : length;
        var read = (int)Math.Min(count, end - _position);
        for (var i = 0; i < read; i++)
        {
            buffer[offset + i] = ByteAt(_position + i);
        }
        _position += read;
        return read;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
