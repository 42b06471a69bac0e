using System.Text.Json;

namespace GrowlyticsSdk.Protocols.Rest;

/// <summary>
/// Reads a 2xx answer's body for the documented <c>{"success": true}</c>: only a top-level <c>"success": false</c> says the
/// upsert was not taken. Everything else in the body is skipped undecoded.
/// </summary>
internal static class SuccessBody
{
    /// <summary>Parses <paramref name="body"/>; <paramref name="complete"/> is false when it was cut at the read limit.</summary>
    /// <returns><see langword="true"/> only for a JSON object whose <c>success</c> property is <see langword="false"/>.</returns>
    public static bool SaysNotTaken(ReadOnlySpan<byte> body, bool complete)
    {
        try
        {
            var reader = new Utf8JsonReader(body, isFinalBlock: complete, state: default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("success"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.False;
                }

                if (!reader.Read() || !reader.TrySkip())
                {
                    return false;
                }
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
