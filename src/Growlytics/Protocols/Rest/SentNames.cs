using System.Text.Json;

namespace GrowlyticsSdk.Protocols.Rest;

/// <summary>
/// The field names the SDK itself sent in a REST request: the body's own (<c>id</c>, <c>attributes</c>, <c>name</c>,
/// <c>type</c>, <c>value</c>) and the request's attribute names. A refusal's path element that is one of them names a
/// field, and may be logged; any other may be a value the service echoed.
/// </summary>
internal static class SentNames
{
    /// <summary>
    /// Gets a value indicating whether the string token at <paramref name="candidate"/> is one of the names sent in
    /// <paramref name="sent"/> (the request's body; empty: only the body's own names count). The candidate is compared
    /// in place, never decoded.
    /// </summary>
    public static bool Contains(ref Utf8JsonReader candidate, ReadOnlySpan<byte> sent) =>
        candidate.ValueTextEquals("id"u8)
        || candidate.ValueTextEquals("attributes"u8)
        || candidate.ValueTextEquals("name"u8)
        || candidate.ValueTextEquals("type"u8)
        || candidate.ValueTextEquals("value"u8)
        || (!sent.IsEmpty && IsAttributeName(ref candidate, sent));

    // Read only after a refusal, and only for a path element that is none of the body's own names.
    private static bool IsAttributeName(ref Utf8JsonReader candidate, ReadOnlySpan<byte> sent)
    {
        try
        {
            var body = new Utf8JsonReader(sent);
            if (!body.Read() || body.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (body.Read() && body.TokenType == JsonTokenType.PropertyName)
            {
                if (body.ValueTextEquals("attributes"u8))
                {
                    return body.Read() && body.TokenType == JsonTokenType.StartArray && IsNameIn(ref candidate, ref body);
                }

                if (!body.Read() || !body.TrySkip())
                {
                    return false;
                }
            }
        }
        catch (JsonException)
        {
            // Not the SDK's own body after all: no attribute names to match.
        }

        return false;
    }

    // The attributes array, read from its start: [{"name": "...", "type": "...", "value": ...}, ...].
    private static bool IsNameIn(ref Utf8JsonReader candidate, ref Utf8JsonReader body)
    {
        while (body.Read() && body.TokenType == JsonTokenType.StartObject)
        {
            while (body.Read() && body.TokenType == JsonTokenType.PropertyName)
            {
                var isName = body.ValueTextEquals("name"u8);
                if (!body.Read())
                {
                    return false;
                }

                if (isName && body.TokenType == JsonTokenType.String && candidate.ValueTextEquals(body.GetString()))
                {
                    return true;
                }

                if (!body.TrySkip())
                {
                    return false;
                }
            }
        }

        return false;
    }
}
