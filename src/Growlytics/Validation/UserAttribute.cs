namespace GrowlyticsSdk.Validation;

/// <summary>One validated attribute: its wire name, its Growlytics type and its value (never null).</summary>
internal readonly struct UserAttribute
{
    public UserAttribute(string name, AttributeKind kind, object value)
    {
        Name = name;
        Kind = kind;
        Value = value;
    }

    public string Name { get; }

    public AttributeKind Kind { get; }

    public object Value { get; }
}
