namespace GrowlyticsSdk.Serialization;

/// <summary>
/// A growable buffer, as a write-only <see cref="Stream"/>, that a request body's JSON is laid out in and that the body is
/// compressed into, kept for later bodies once it is no longer read (a body's: once its request is done with it, see
/// <c>BodyContent</c>, .NET 8 and later): a request allocates no array for its body. The SDK's own, never
/// <c>ArrayPool&lt;byte&gt;.Shared</c>, and cleared when given back: nothing a user sent stays in a kept buffer. At most
/// <see cref="MostKept"/> are kept, none larger than <see cref="MostKeptCapacity"/>, the one given back last taken
/// first (its lines are the likeliest still in a cache); only the written part (<see cref="Length"/>) is ever read.
/// </summary>
internal sealed class BodyBuffer : Stream
{
    /// <summary>
    /// The most buffers kept: each request in flight holds one until it ends, and a request built ahead one more (at the
    /// default concurrency, 8 and 8), plus one per body being built; beyond that a new buffer is made, and collected once
    /// it is given back.
    /// </summary>
    public const int MostKept = 32;

    /// <summary>
    /// The largest buffer kept: a batch's JSON is a few tens of KB and its gzip body a few KB; an unusually large one
    /// (messages of many attributes) is not kept.
    /// </summary>
    public const int MostKeptCapacity = 128 * 1024;

    private const int InitialCapacity = 16 * 1024;
    private static readonly Stack<BodyBuffer> Spare = new();

    private readonly ByteBufferWriter _bytes = new(InitialCapacity);
    private int _rented = 1;
    private int _returns;

    private BodyBuffer()
    {
    }

    /// <summary>Gets the array the bytes are in: its first <see cref="Length"/> bytes.</summary>
    public byte[] Array => _bytes.WrittenSegment.Array!;

    /// <summary>Gets the bytes written since the buffer was rented.</summary>
    public override long Length => _bytes.WrittenCount;

    /// <summary>Gets how many times this buffer was given back since it was made (for tests).</summary>
    internal int Returns => Volatile.Read(ref _returns);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Position
    {
        get => _bytes.WrittenCount;
        set => throw new NotSupportedException();
    }

    /// <summary>A kept buffer (empty) or a new one; the caller owns it until it gives it back with <see cref="Return"/>.</summary>
    public static BodyBuffer Rent()
    {
        lock (Spare)
        {
            if (Spare.Count > 0)
            {
                var buffer = Spare.Pop();
                buffer._rented = 1;
                return buffer;
            }
        }

        return new BodyBuffer();
    }

    /// <summary>
    /// Gives the buffer back, cleared, to be reused: the caller guarantees nothing reads it any more. A second call for
    /// one rental does nothing (a buffer kept twice would carry two bodies at once).
    /// </summary>
    public void Return()
    {
        if (Interlocked.Exchange(ref _rented, 0) == 0)
        {
            return;
        }

        Interlocked.Increment(ref _returns);
        if (_bytes.Capacity > MostKeptCapacity)
        {
            return;
        }

        _bytes.Erase();
        lock (Spare)
        {
            if (Spare.Count < MostKept)
            {
                Spare.Push(this);
            }
        }
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => Append(new ReadOnlySpan<byte>(buffer, offset, count));

#if NET8_0_OR_GREATER
    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer) => Append(buffer);
#endif

    /// <inheritdoc/>
    public override void WriteByte(byte value)
    {
        _bytes.GetSpan(1)[0] = value;
        _bytes.Advance(1);
    }

    /// <summary>Does nothing: the bytes are in the array as soon as they are written.</summary>
    public override void Flush()
    {
    }

    /// <summary>Not supported: the buffer is written, then sent from <see cref="Array"/>.</summary>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Not supported.</summary>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <summary>Not supported.</summary>
    public override void SetLength(long value) => throw new NotSupportedException();

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_bytes.GetSpan(bytes.Length));
        _bytes.Advance(bytes.Length);
    }
}
