using System.Security.Cryptography;

namespace GrowlyticsSdk.Messages;

/// <summary>
/// Message ids: 64 random bits drawn once per process, then a 64-bit counter, written in the shape of
/// a UUID. Minting a GUID per message costs an OS random call on the caller's thread; a counter costs one
/// interlocked increment, and the random prefix keeps ids from different processes apart.
/// </summary>
internal static class MessageIds
{
    private static readonly ulong Prefix = CreatePrefix();
    private static long _sequence;

    public static long Next() => Interlocked.Increment(ref _sequence);

    /// <summary>The length of a formatted message id, in characters or UTF-8 bytes.</summary>
    public const int Length = 36;

    public static string Format(long sequence)
    {
        Span<byte> utf8 = stackalloc byte[Length];
        FormatUtf8(sequence, utf8);
        Span<char> chars = stackalloc char[Length];
        for (var i = 0; i < Length; i++)
        {
            chars[i] = (char)utf8[i];
        }

        return chars.ToString();
    }

    /// <summary>
    /// Writes the id as its 36 ASCII (so UTF-8) bytes, for the serializer to copy straight into the JSON
    /// without a string per message.
    /// </summary>
    public static void FormatUtf8(long sequence, Span<byte> destination)
    {
        WriteHex(destination.Slice(0, 8), Prefix >> 32, 8);
        destination[8] = (byte)'-';
        WriteHex(destination.Slice(9, 4), (Prefix >> 16) & 0xFFFF, 4);
        destination[13] = (byte)'-';
        WriteHex(destination.Slice(14, 4), Prefix & 0xFFFF, 4);
        destination[18] = (byte)'-';
        var seq = (ulong)sequence;
        WriteHex(destination.Slice(19, 4), seq >> 48, 4);
        destination[23] = (byte)'-';
        WriteHex(destination.Slice(24, 12), seq & 0xFFFF_FFFF_FFFF, 12);
    }

    private static void WriteHex(Span<byte> destination, ulong value, int digits)
    {
        for (var i = digits - 1; i >= 0; i--)
        {
            var nibble = (int)(value & 0xF);
            destination[i] = (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
            value >>= 4;
        }
    }

    private static ulong CreatePrefix()
    {
        var bytes = new byte[8];
        using (var rng = RandomNumberGenerator.Create())
        {
            rng.GetBytes(bytes);
        }

        return BitConverter.ToUInt64(bytes, 0);
    }
}
