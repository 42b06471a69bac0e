using System.Globalization;
using System.Text.Json;
using GrowlyticsSdk.Messages;
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

    // More pushes than any session makes: a count past it is damage (a login adds one, and the statistics add it up).
    private const int MaxCalls = int.MaxValue / 2;

    /// <exception cref="InvalidDataException">The held attributes are not in the form <see cref="Write"/> writes.</exception>
    /// <exception cref="GrowlyticsValidationException">A held attribute breaks a rule a call is held to (a damaged or foreign file).</exception>
    public static (UserAttribute[] Attributes, int Calls) Read(JsonElement held)
    {
        var calls = held.GetProperty("calls").GetInt32();
        if (calls > MaxCalls)
        {
            throw new InvalidDataException("The held attributes count more pushes than a session makes.");
        }

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

        Validate(attributes);
        return (attributes, calls);
    }

    /// <summary>
    /// Holds the attributes to the rules of a push (REST's limits): the file is not trusted to hold only what calls pushed,
    /// and what it holds goes on the wire at the login. Numbers are checked as the values they read as; they are kept as
    /// written.
    /// </summary>
    private static void Validate(UserAttribute[] attributes)
    {
        var values = new Dictionary<string, object?>(attributes.Length, StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            if (!string.Equals(AttributeRules.NormalizeReserved(attribute.Name), attribute.Name, StringComparison.Ordinal))
            {
                // A call sends any casing of a reserved name as the reserved name.
                throw new InvalidDataException("A held attribute has a reserved name in another casing.");
            }

            values[attribute.Name] = attribute.Value is NumberText number ? NumberValue(number.Text) : attribute.Value;
        }

        AttributeReader.Read(values, AttributeLimits.Rest);
    }

    private static object NumberValue(string text)
    {
        var integer = text.Length > 0;
        for (var i = 0; i < text.Length && integer; i++)
        {
            integer = text[i] is >= '0' and <= '9' || (i == 0 && text[i] == '-');
        }

        if (integer && text.Length <= NumberLimits.MaxDigits + 2)
        {
            return System.Numerics.BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        // Out of a double's range (1e999999) reads as infinity, or fails to read on .NET Framework: refused either way.
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN;
    }
}
