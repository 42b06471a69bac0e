using System.Buffers;
using System.Text.Json;

namespace GrowlyticsSdk.Serialization;

/// <summary>A growable, reusable <see cref="IBufferWriter{T}"/> of bytes (ArrayBufferWriter is not public on netstandard2.0).</summary>
internal sealed class ByteBufferWriter : IBufferWriter<byte>
{
    private byte[] _buffer;
    private int _written;
    private Utf8JsonWriter? _jsonWriter;

    public ByteBufferWriter(int initialCapacity) => _buffer = new byte[initialCapacity];

    /// <summary>
    /// Gets a JSON writer kept with this buffer, so serializing a message does not create one each time.
    /// Call <see cref="Utf8JsonWriter.Reset(IBufferWriter{byte})"/> before each use.
    /// </summary>
    public Utf8JsonWriter JsonWriter => _jsonWriter ??= new Utf8JsonWriter(this, MessageJsonWriter.WriterOptions);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>Gets the number of bytes written.</summary>
    public int WrittenCount => _written;

    /// <summary>Gets the size of the underlying array.</summary>
    public int Capacity => _buffer.Length;

    public void Clear() => _written = 0;

    /// <summary>Zeroes what was written, then forgets it: nothing written stays in a buffer that is kept for reuse.</summary>
    public void Erase()
    {
        Array.Clear(_buffer, 0, _written);
        _written = 0;
    }

    /// <summary>Gets the written bytes as a segment of the underlying array; valid until the buffer grows or is cleared.</summary>
    public ArraySegment<byte> WrittenSegment => new(_buffer, 0, _written);

    /// <summary>Forgets what was written after the first <paramref name="length"/> bytes.</summary>
    public void Truncate(int length) => _written = length;

    /// <summary>Gets a view of written bytes; it stays valid until the buffer grows or is cleared and written again.</summary>
    public ReadOnlyMemory<byte> Slice(int start, int length) => new(_buffer, start, length);

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }
    }
}
