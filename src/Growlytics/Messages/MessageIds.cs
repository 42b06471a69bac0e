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

    public static string Format(long sequence)
    {
        Span<char> chars = stackalloc char[36];
        WriteHex(chars.Slice(0, 8), Prefix >> 32, 8);
        chars[8] = '-';
        WriteHex(chars.Slice(9, 4), (Prefix >> 16) & 0xFFFF, 4);
        chars[13] = '-';
        WriteHex(chars.Slice(14, 4), Prefix & 0xFFFF, 4);
        chars[18] = '-';
        var seq = (ulong)sequence;
        WriteHex(chars.Slice(19, 4), seq >> 48, 4);
        chars[23] = '-';
        WriteHex(chars.Slice(24, 12), seq & 0xFFFF_FFFF_FFFF, 12);
        return chars.ToString();
    }

    private static void WriteHex(Span<char> destination, ulong value, int digits)
    {
        for (var i = digits - 1; i >= 0; i--)
        {
            var nibble = (int)(value & 0xF);
            destination[i] = (char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
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
