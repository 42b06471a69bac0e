namespace GrowlyticsSdk.Validation;

/// <summary>
/// One validated attribute: its wire name and its value (never null). Its Growlytics type follows from the value's
/// type (<see cref="Kind"/>), so a queued attribute holds two references and nothing more (16 bytes, not 24).
/// </summary>
internal readonly struct UserAttribute
{
    public UserAttribute(string name, object value)
    {
        Name = name;
        Value = value;
    }

    public string Name { get; }

    /// <summary>
    /// Gets the Growlytics type: text for a string or a character, a boolean, a date for a <see cref="DateTime"/> or
    /// <see cref="DateTimeOffset"/> (or <c>DateOnly</c>), and a number for every other value validation accepts (the
    /// numeric types, <see cref="System.Numerics.BigInteger"/> and stored number texts).
    /// </summary>
    public AttributeKind Kind => Value switch
    {
        string or char => AttributeKind.String,
        bool => AttributeKind.Boolean,
        DateTime or DateTimeOffset => AttributeKind.Date,
#if NET8_0_OR_GREATER
        DateOnly => AttributeKind.Date,
#endif
        _ => AttributeKind.Number,
    };

    public object Value { get; }
}
