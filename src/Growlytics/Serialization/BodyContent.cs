using System.Net;

namespace GrowlyticsSdk.Serialization;

/// <summary>
/// A request body held in a <see cref="BodyBuffer"/>: the buffer goes back to be reused once the content is disposed
/// (with its request) and no copy of it to a connection is still running, whichever ends last. A copy that starts after
/// the content was disposed is refused, so a buffer that carries a later body is never read for this one.
/// </summary>
internal sealed class BodyContent : HttpContent
{
    private readonly BodyBuffer _buffer;
    private readonly int _length;

    // The content's own hold until it is disposed, plus one per copy in progress; the buffer goes back at zero.
    private int _holds = 1;
    private int _disposed;

    /// <summary>Takes ownership of <paramref name="buffer"/>: it is given back when this content no longer needs it.</summary>
    public BodyContent(BodyBuffer buffer)
    {
        _buffer = buffer;
        _length = (int)buffer.Length;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        CopyAsync(stream, CancellationToken.None);

#if NET8_0_OR_GREATER
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        CopyAsync(stream, cancellationToken);

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
#endif

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }

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
#if NET8_0_OR_GREATER
            await stream.WriteAsync(_buffer.Array.AsMemory(0, _length), cancellationToken).ConfigureAwait(false);
#else
            await stream.WriteAsync(_buffer.Array, 0, _length, cancellationToken).ConfigureAwait(false);
#endif
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
