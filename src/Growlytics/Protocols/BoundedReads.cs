using System.Runtime.CompilerServices;

namespace GrowlyticsSdk.Protocols;

/// <summary>Reads an answer's body as far as a buffer goes, never further.</summary>
internal static class BoundedReads
{
    /// <summary>
    /// Fills <paramref name="buffer"/> from <paramref name="stream"/> until it is full or the stream ends; returns how many
    /// bytes it holds. <paramref name="progress"/>, if given, holds how many bytes were read so far, also when a read
    /// throws.
    /// </summary>
    public static async Task<int> ReadAtMostAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken, StrongBox<int>? progress = null)
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
            if (progress is not null)
            {
                progress.Value = length;
            }
        }

        return length;
    }
}
