using System.Runtime.CompilerServices;

namespace GrowlyticsSdk.Validation;

/// <summary>
/// Checks that text is valid UTF-16: a string with a surrogate that is not half of a pair has no UTF-8 form, so it
/// could only reach the wire altered (as U+FFFD), and two different ids could become one.
/// </summary>
internal static class Utf16
{
    public static bool HasUnpairedSurrogate(string text)
    {
#if NET8_0_OR_GREATER
        // Most text has no surrogate at all: one vectorised search, then the pairs from the first one on.
        var i = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return false;
        }
#else
        var i = 0;
#endif
        var span = text.AsSpan();
        for (; i < span.Length; i++)
        {
            if (IsUnpairedSurrogateAt(span, ref i))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Tells whether the character at <paramref name="i"/> is a surrogate that is not half of a pair; at the first half
    /// of a pair, moves <paramref name="i"/> to the second, so a loop that goes on from <c>i + 1</c> passes the pair by.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsUnpairedSurrogateAt(ReadOnlySpan<char> text, ref int i)
    {
        var c = text[i];
        if (!char.IsSurrogate(c))
        {
            return false;
        }

        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            i++;
            return false;
        }

        return true;
    }
}
