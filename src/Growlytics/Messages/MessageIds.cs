using System.Buffers.Binary;
using System.Security.Cryptography;

namespace GrowlyticsSdk.Messages;

/// <summary>
/// Message ids: 64 random bits drawn once per process, then a 64-bit counter, written in the shape of
/// a UUID. Minting a GUID per message costs an OS random call on the caller's thread; a counter costs one
/// interlocked increment, and the random prefix keeps ids from different processes apart.
/// </summary>
internal static class MessageIds
{
    private const int PrefixLength = 19;

    // Each byte's two lowercase hex digits, as they lie in memory once written little-endian: a pair per step, not a
    // digit. Before PrefixUtf8, whose initializer uses it (static fields are initialized in the order they are declared).
    private static readonly ushort[] HexPairs = CreateHexPairs();
    private static readonly ulong Prefix = CreatePrefix();

    // After Prefix, which it formats (static fields are initialized in the order they are declared).
    private static readonly byte[] PrefixUtf8 = FormatPrefix();
    private static long _sequence;

    public static long Next() => Interlocked.Increment(ref _sequence);

    /// <summary>The length of a formatted message id, in characters or UTF-8 bytes.</summary>
    public const int Length = 36;

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

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
        // The first three groups are the process's random bits, formatted once.
        PrefixUtf8.AsSpan().CopyTo(destination);
        var seq = (ulong)sequence;
        WriteHex(destination.Slice(PrefixLength, 4), seq >> 48, 4);
        destination[PrefixLength + 4] = (byte)'-';
        WriteHex(destination.Slice(PrefixLength + 5, 12), seq & 0xFFFF_FFFF_FFFF, 12);
    }

    /// <summary>Writes the low <paramref name="digits"/> (an even number) hex digits of <paramref name="value"/>.</summary>
    private static void WriteHex(Span<byte> destination, ulong value, int digits)
    {
        var pairs = HexPairs;
        for (var i = digits - 2; i >= 0; i -= 2)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(i, 2), pairs[(int)(value & 0xFF)]);
            value >>= 8;
        }
    }

    private static ushort[] CreateHexPairs()
    {
        var hex = HexDigits;
        var pairs = new ushort[256];
        for (var b = 0; b < pairs.Length; b++)
        {
            pairs[b] = (ushort)(hex[b >> 4] | (hex[b & 0xF] << 8));
        }

        return pairs;
    }

    /// <summary>Formats the first three groups of every id (<c>xxxxxxxx-xxxx-xxxx-</c>) from <see cref="Prefix"/>.</summary>
    private static byte[] FormatPrefix()
    {
        var bytes = new byte[PrefixLength];
        WriteHex(bytes.AsSpan(0, 8), Prefix >> 32, 8);
        bytes[8] = (byte)'-';
        WriteHex(bytes.AsSpan(9, 4), (Prefix >> 16) & 0xFFFF, 4);
        bytes[13] = (byte)'-';
        WriteHex(bytes.AsSpan(14, 4), Prefix & 0xFFFF, 4);
        bytes[18] = (byte)'-';
        return bytes;
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
