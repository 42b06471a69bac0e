using System.Globalization;
using System.Text.Json;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Sessions;

/// <summary>
/// Held attributes in the session file, in the wire's <c>{"name","type","value"}</c> form, and back: numbers keep all their
/// digits (read back as the JSON text written, so a tiny or very precise <see cref="double"/> is sent after a restart as it
/// would have been before), dates their UTC <c>yyyy-MM-dd HH:mm:ss</c>.
/// </summary>
internal static class HeldAttributeJson
{
    private const string DateFormat = "yyyy-MM-dd HH:mm:ss";

    public static void Write(Utf8JsonWriter writer, UserAttribute[] attributes, int calls)
    {
        writer.WriteStartObject("held");
        writer.WriteNumber("calls", calls);
        writer.WriteStartArray("attributes");
        foreach (var attribute in attributes)
        {
            MessageJsonWriter.WriteAttribute(writer, attribute);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <exception cref="InvalidDataException">The held attributes are not in the form <see cref="Write"/> writes.</exception>
    public static (UserAttribute[] Attributes, int Calls) Read(JsonElement held)
    {
        var calls = held.GetProperty("calls").GetInt32();
        var items = held.GetProperty("attributes");
        var attributes = new UserAttribute[items.GetArrayLength()];
        var names = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var item in items.EnumerateArray())
        {
            var name = item.GetProperty("name").GetString();
            if (name is null || name.Length is 0 or > AttributeRules.RestMaxNameLength || !names.Add(name))
            {
                throw new InvalidDataException("A held attribute has a missing, long or repeated name.");
            }

            var value = item.GetProperty("value");
            attributes[i++] = item.GetProperty("type").GetString() switch
            {
                "string" => new UserAttribute(name, value.GetString() is { Length: <= AttributeRules.MaxStringLength } text ? text : throw new InvalidDataException("A string is null or longer than any call may push.")),
                "boolean" => new UserAttribute(name, value.GetBoolean()),
                "number" when value.ValueKind == JsonValueKind.Number => new UserAttribute(name, new NumberText(value.GetRawText())),
                "date" => new UserAttribute(name, DateTime.ParseExact(value.GetString()!, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)),
                _ => throw new InvalidDataException("A held attribute has an unknown type, or a value of another type."),
            };
        }

        if (calls < 1 || attributes.Length == 0 || attributes.Length > AttributeRules.RestMaxAttributes)
        {
            throw new InvalidDataException("The held attributes break the limits.");
        }

        return (attributes, calls);
    }
}
