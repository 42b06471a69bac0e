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
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }
}
