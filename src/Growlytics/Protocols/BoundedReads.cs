namespace GrowlyticsSdk.Protocols;

/// <summary>Reads an answer's body as far as a buffer goes, never further.</summary>
internal static class BoundedReads
{
    /// <summary>Fills <paramref name="buffer"/> from <paramref name="stream"/> until it is full or the stream ends; returns how many bytes it holds.</summary>
    public static async Task<int> ReadAtMostAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var length = 0;
        while (length < buffer.Length)
        {
#if NET8_0_OR_GREATER
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
#else
            var read = await stream.ReadAsync(buffer, length, buffer.Length - length, cancellationToken).ConfigureAwait(false);
#endif
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        return length;
    }
}
