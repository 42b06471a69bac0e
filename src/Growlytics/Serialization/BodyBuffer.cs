using System.Collections.Concurrent;

namespace GrowlyticsSdk.Serialization;

/// <summary>
/// A growable output buffer a request body is compressed into, kept for later bodies once the request that carried it
/// is done with it (see <see cref="BodyContent"/>): a request allocates no array for its body. The SDK's own, never
/// <c>ArrayPool&lt;byte&gt;.Shared</c>: the compressed bytes of a body are read by nothing else in the process. At most
/// <see cref="MostKept"/> are kept, none larger than <see cref="MostKeptCapacity"/>; a kept buffer is overwritten by
/// the next body, and only its written part (<see cref="Length"/>) is ever sent.
/// </summary>
internal sealed class BodyBuffer : Stream
{
    /// <summary>The most buffers kept: more than the requests in flight at the default concurrency, plus one built ahead.</summary>
    public const int MostKept = 32;

    /// <summary>The largest buffer kept (a batch's gzip body is a few KB; an unusually large one is not kept).</summary>
    public const int MostKeptCapacity = 64 * 1024;

    private const int InitialCapacity = 16 * 1024;
    private static readonly ConcurrentQueue<BodyBuffer> Spare = new();
    private static int _spareCount;

    private byte[] _array = new byte[InitialCapacity];
    private int _length;
    private int _returns;

    private BodyBuffer()
    {
    }

    /// <summary>Gets the array the body is in (its first <see cref="Length"/> bytes).</summary>
    public byte[] Array => _array;

    /// <summary>Gets the bytes written since the buffer was rented.</summary>
    public override long Length => _length;

    /// <summary>Gets how many times this buffer was given back since it was made (for tests).</summary>
    internal int Returns => Volatile.Read(ref _returns);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    /// <summary>A kept buffer, emptied, or a new one.</summary>
    public static BodyBuffer Rent()
    {
        if (Spare.TryDequeue(out var buffer))
        {
            Interlocked.Decrement(ref _spareCount);
            buffer._length = 0;
            return buffer;
        }

        return new BodyBuffer();
    }

    /// <summary>Gives the buffer back to be reused: the caller guarantees nothing reads it any more.</summary>
    public void Return()
    {
        Interlocked.Increment(ref _returns);
        if (_array.Length > MostKeptCapacity)
        {
            return;
        }

        if (Interlocked.Increment(ref _spareCount) <= MostKept)
        {
            Spare.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref _spareCount);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Append(new ReadOnlySpan<byte>(buffer, offset, count));

#if NET8_0_OR_GREATER
    public override void Write(ReadOnlySpan<byte> buffer) => Append(buffer);
#endif

    public override void WriteByte(byte value)
    {
        Grow(1);
        _array[_length++] = value;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void Append(ReadOnlySpan<byte> bytes)
    {
        Grow(bytes.Length);
        bytes.CopyTo(_array.AsSpan(_length));
        _length += bytes.Length;
    }

    private void Grow(int more)
    {
        if (_array.Length - _length >= more)
        {
            return;
        }

        var grown = new byte[Math.Max(_array.Length * 2, _length + more)];
        System.Array.Copy(_array, grown, _length);
        _array = grown;
    }
}
