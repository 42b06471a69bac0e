using System.Globalization;
using System.Text;
using System.Text.Json;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Protocols.Rest;

/// <summary>
/// Reads the documented Joi-style refusal body, <c>{"type","details":[{"message","path":[…],"type","context":{…}}]}</c>,
/// keeping only the first detail's <c>path</c> (joined with '.') and <c>type</c>. <c>message</c> and <c>context</c> may echo
/// the refused value, so they are skipped without being decoded. The path and type are the service's words too, and a
/// service may put a value in them, so only what cannot be one is kept: a path element that is an array index or a field
/// name the SDK sent in that request (the REST body's own, or an attribute name of the request), others shown as
/// <c>?</c>; an index below REST's 100 attributes per call; a type shaped as Joi's rules (one of Joi's type families, then
/// dotted names of letters and, after the first letter, digits: <c>string.max</c>, <c>any.required</c>, <c>string.base64</c>), at most 64 characters, otherwise none.
/// </summary>
internal static class RejectionBody
{
    /// <summary>What a path element that is neither an index nor a name the SDK sent is shown as.</summary>
    public const string UnknownElement = "?";

    private const int MaxPathSegments = 16;
    private const int MaxTextLength = 128;
    private const int MaxTypeLength = 64;

    /// <summary>
    /// Parses <paramref name="body"/>; <paramref name="complete"/> is false when it was cut at the read limit;
    /// <paramref name="sent"/> is the body of the refused request (its attribute names may appear in the path).
    /// </summary>
    /// <returns>The details, or <see langword="null"/> when the body is not the documented shape.</returns>
    public static RejectionDetails? Parse(ReadOnlySpan<byte> body, bool complete, ReadOnlyMemory<byte> sent = default)
    {
        try
        {
            var reader = new Utf8JsonReader(body, isFinalBlock: complete, state: default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("details"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.StartArray ? ReadFirstDetail(ref reader, sent.Span) : null;
                }

                if (!reader.Read() || !reader.TrySkip())
                {
                    return null;
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static RejectionDetails? ReadFirstDetail(ref Utf8JsonReader reader, ReadOnlySpan<byte> sent)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        string? path = null;
        string? type = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("path"u8))
            {
                if (!reader.Read())
                {
                    break;
                }

                path = reader.TokenType == JsonTokenType.StartArray ? ReadPath(ref reader, sent) : null;
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                if (!reader.Read())
                {
                    break;
                }

                type = reader.TokenType == JsonTokenType.String ? RuleName(reader.GetString()) : null;
            }
            else if (!reader.Read() || !reader.TrySkip())
            {
                // message, context (which may echo the value) and anything else: skipped undecoded.
                break;
            }
        }

        return path is null && type is null ? null : new RejectionDetails(path, type);
    }

    private static string? ReadPath(ref Utf8JsonReader reader, ReadOnlySpan<byte> sent)
    {
        var text = new StringBuilder();
        var segments = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var segment = reader.TokenType switch
            {
                JsonTokenType.String when SentNames.Contains(ref reader, sent) => reader.GetString()!,
                JsonTokenType.Number when reader.TryGetInt64(out var index) && index is >= 0 and < AttributeRules.RestMaxAttributes => index.ToString(CultureInfo.InvariantCulture),
                _ => UnknownElement,
            };
            if (++segments > MaxPathSegments || (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip()))
            {
                return null;
            }

            if (text.Length > 0)
            {
                text.Append('.');
            }

            text.Append(segment);
        }

        return reader.TokenType == JsonTokenType.EndArray ? Shorten(text.ToString()) : null;
    }

    // Joi's type families, the first part of every rule it reports (string.max, any.required).
    private static readonly string[] RuleFamilies =
        ["alternatives.", "any.", "array.", "binary.", "boolean.", "date.", "function.", "link.", "number.", "object.", "string.", "symbol."];

    // A rule name as Joi writes them (one of its type families, then one or more dotted names of letters, digits after
    // the first letter: string.max, any.required, array.includesRequiredUnknowns, string.base64), or nothing: anything else may be a value the service echoed (an id, a number, a
    // dotted value such as john.smith or example.com).
    private static string? RuleName(string? text)
    {
        if (text is null or { Length: 0 or > MaxTypeLength } || !StartsWithRuleFamily(text))
        {
            return null;
        }

        var dots = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var fits = c switch
            {
                >= 'a' and <= 'z' => true,
                >= 'A' and <= 'Z' => dots > 0,
                >= '0' and <= '9' => dots > 0 && text[i - 1] != '.',
                '.' => i > 0 && text[i - 1] != '.' && i < text.Length - 1 && ++dots > 0,
                _ => false,
            };
            if (!fits)
            {
                return null;
            }
        }

        return dots > 0 ? text : null;
    }

    private static bool StartsWithRuleFamily(string text)
    {
        foreach (var family in RuleFamilies)
        {
            if (text.StartsWith(family, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    // Field names are short; a long one is cut (never inside a surrogate pair), and control and format characters (line
    // breaks, terminal escapes, Unicode line separators, direction overrides) and unpaired surrogates are replaced, so a
    // log line stays one readable line of valid text and an answer cannot forge or disguise others.
    private static string? Shorten(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var length = Math.Min(text.Length, MaxTextLength);
        if (length < text.Length && char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        var kept = length == text.Length ? text : text.Substring(0, length);
        char[]? chars = null;
        for (var i = 0; i < kept.Length; i++)
        {
            // By code point: a format character outside the first plane (a tag character) is a surrogate pair.
            var pair = char.IsHighSurrogate(kept[i]) && i + 1 < kept.Length && char.IsLowSurrogate(kept[i + 1]);
            if (CharUnicodeInfo.GetUnicodeCategory(kept, i) is UnicodeCategory.Control or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Format
                || (char.IsSurrogate(kept[i]) && !pair))
            {
                chars ??= kept.ToCharArray();
                chars[i] = '?';
                if (pair)
                {
                    chars[++i] = '?';
                }
            }
            else if (pair)
            {
                i++;
            }
        }

        return chars is null ? kept : new string(chars);
    }
}
