using System.Text.Json;

namespace GrowlyticsSdk.Testing;

/// <summary>One attribute of a recorded call, as it went over the wire.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A user attribute, not a .NET attribute: the SDK's own word.")]
public sealed class RecordedAttribute
{
    internal RecordedAttribute(string name, string type, JsonElement value)
    {
        Name = name;
        Type = type;
        Value = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
    }

    /// <summary>Gets the attribute name.</summary>
    public string Name { get; }

    /// <summary>Gets the wire type: <c>string</c>, <c>number</c>, <c>boolean</c> or <c>date</c>.</summary>
    public string Type { get; }

    /// <summary>
    /// Gets the value as text: a string as is, a number with all its digits (<c>30000</c>, <c>0.1</c>), a boolean as
    /// <c>true</c> or <c>false</c>, a date as sent (UTC, <c>yyyy-MM-dd HH:mm:ss</c>).
    /// </summary>
    public string Value { get; }

    /// <summary>Returns <c>name=value</c>, for test failure messages.</summary>
    /// <returns>The attribute as text.</returns>
    public override string ToString() => Name + "=" + Value;
}
