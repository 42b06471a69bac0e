using System.Security.Cryptography;

namespace GrowlyticsSdk.Sessions;

/// <summary>Random, URL-safe anonymous ids: 128 random bits in unpadded base64url (22 characters).</summary>
internal static class AnonymousIds
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private const int IdBytes = 16;
    private const int IdsPerRefill = 32;
    private static readonly RandomNumberGenerator Random = RandomNumberGenerator.Create();

    // The OS random call costs microseconds; a web app begins a scope (and so mints an id) per request.
    // Each thread draws 32 ids' worth of bytes at once and hands them out 16 at a time.
    [ThreadStatic]
    private static byte[]? _pool;

    [ThreadStatic]
    private static int _poolOffset;

    public static string New()
    {
        var pool = _pool ??= new byte[IdBytes * IdsPerRefill];
        if (_poolOffset == 0)
        {
            Random.GetBytes(pool);
        }

        var offset = _poolOffset;
        _poolOffset = (offset + IdBytes) % pool.Length;
        return ToBase64Url(pool, offset);
    }

    /// <summary>Whether a caller-supplied anonymous id (a cookie, a header, a stored file) is safe to send on.</summary>
    public static bool IsValid(string? value)
    {
        if (value is null || value.Length is 0 or > 64)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (Alphabet.IndexOf(c) < 0)
            {
                return false;
            }
        }

        return true;
    }

    private static string ToBase64Url(byte[] bytes, int start)
    {
        var end = start + IdBytes;
        var chars = new char[(IdBytes * 4 + 2) / 3];
        var o = 0;
        var i = start;
        for (; i + 2 < end; i += 3)
        {
            var n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
            chars[o++] = Alphabet[(n >> 18) & 63];
            chars[o++] = Alphabet[(n >> 12) & 63];
            chars[o++] = Alphabet[(n >> 6) & 63];
            chars[o++] = Alphabet[n & 63];
        }

        var rest = end - i;
        if (rest == 1)
        {
            var n = bytes[i] << 16;
            chars[o++] = Alphabet[(n >> 18) & 63];
            chars[o++] = Alphabet[(n >> 12) & 63];
        }
        else if (rest == 2)
        {
            var n = (bytes[i] << 16) | (bytes[i + 1] << 8);
            chars[o++] = Alphabet[(n >> 18) & 63];
            chars[o++] = Alphabet[(n >> 12) & 63];
            chars[o++] = Alphabet[(n >> 6) & 63];
        }

        return new string(chars, 0, o);
    }
}
