using System.Security.Cryptography;

namespace GrowlyticsSdk.Sessions;

/// <summary>Random, URL-safe anonymous ids: 128 random bits in unpadded base64url (22 characters).</summary>
internal static class AnonymousIds
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private static readonly RandomNumberGenerator Random = RandomNumberGenerator.Create();

    public static string New()
    {
        var bytes = new byte[16];
        Random.GetBytes(bytes);
        return ToBase64Url(bytes);
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

    private static string ToBase64Url(byte[] bytes)
    {
        var chars = new char[(bytes.Length * 4 + 2) / 3];
        var o = 0;
        var i = 0;
        for (; i + 2 < bytes.Length; i += 3)
        {
            var n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
            chars[o++] = Alphabet[(n >> 18) & 63];
            chars[o++] = Alphabet[(n >> 12) & 63];
            chars[o++] = Alphabet[(n >> 6) & 63];
            chars[o++] = Alphabet[n & 63];
        }

        var rest = bytes.Length - i;
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
