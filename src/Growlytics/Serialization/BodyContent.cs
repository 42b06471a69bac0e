#if NET8_0_OR_GREATER
using System.Net;

namespace GrowlyticsSdk.Serialization;

/// <summary>
/// A request body held in a <see cref="BodyBuffer"/>: the buffer goes back to be reused once the content is disposed
/// (with its request) and no copy of it is still being written anywhere, whichever ends last. A copy that would start
/// after the content was disposed is refused, so a buffer that carries a later body is never read for this one.
/// </summary>
/// <remarks>
/// A <see cref="ByteArrayContent"/>, so the handler treats it as one (a request's answer is not returned while its body is
/// still being sent, over HTTP/2 too); every member that reads the array is overridden to hold the buffer meanwhile, and a
/// read stream is a copy, never a view of the buffer. .NET 8 and later only: the netstandard2.0 build cannot override the
/// synchronous members that .NET 6 and 7 added, so it sends a new array per request as before.
/// </remarks>
internal sealed class BodyContent : ByteArrayContent
{
    private readonly BodyBuffer _buffer;
    private readonly int _length;

    // The content's own hold until it is disposed, plus one per copy in progress; the buffer goes back at zero.
    private int _holds = 1;
    private int _disposed;

    /// <summary>Takes ownership of <paramref name="buffer"/>: it is given back when this content no longer needs it.</summary>
    public BodyContent(BodyBuffer buffer)
        : base(buffer.Array, 0, (int)buffer.Length)
    {
        _buffer = buffer;
        _length = (int)buffer.Length;
    }

    /// <inheritdoc/>
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        CopyAsync(stream, CancellationToken.None);

    /// <inheritdoc/>
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        CopyAsync(stream, cancellationToken);

    /// <inheritdoc/>
    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        Hold();
        try
        {
            stream.Write(_buffer.Array, 0, _length);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>A stream over a copy of the body (one over the buffer could be read after the buffer carries another).</summary>
    protected override Stream CreateContentReadStream(CancellationToken cancellationToken) => new MemoryStream(Copy(), writable: false);

    /// <inheritdoc cref="CreateContentReadStream(CancellationToken)"/>
    protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new MemoryStream(Copy(), writable: false));

    /// <inheritdoc/>
    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Release();
        }

        base.Dispose(disposing);
    }

    private async Task CopyAsync(Stream stream, CancellationToken cancellationToken)
    {
        Hold();
        try
        {
            await stream.WriteAsync(_buffer.Array.AsMemory(0, _length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Release();
        }
    }

    private byte[] Copy()
    {
        Hold();
        try
        {
            return _buffer.Array.AsSpan(0, _length).ToArray();
        }
        finally
        {
            Release();
        }
    }

    private void Hold()
    {
        var holds = Volatile.Read(ref _holds);
        while (holds > 0)
        {
            var seen = Interlocked.CompareExchange(ref _holds, holds + 1, holds);
            if (seen == holds)
            {
                return;
            }

            holds = seen;
        }

        throw new ObjectDisposedException(nameof(BodyContent));
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _holds) == 0)
        {
            _buffer.Return();
        }
    }
}
#endif
