using System.Numerics;

namespace GrowlyticsSdk.Messages;

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

    /// <summary>
    /// Gets an estimate of the memory this attribute holds in an array: its slot, its name by length (names are usually
    /// shared between messages), and its value (a string by length, a big number by size, others boxed). Never
    /// undercounts a large value.
    /// </summary>
    public long EstimatedBytes => SlotOverhead + (2L * Name.Length) + ValueBytes(Value);

    // One attribute in an array (its name and value references), with its share of the array.
    private const int SlotOverhead = 24;

    // A boxed number, boolean or date.
    private const int BoxedValue = 24;

    // A string's header and length field.
    private const int StringOverhead = 22;

    private static long ValueBytes(object value) => value switch
    {
        Serialization.NumberText number => StringOverhead + (2L * number.Text.Length) + BoxedValue,
        string text => StringOverhead + (2L * text.Length),
        BigInteger big => BoxedValue + 16 + (big.IsZero ? 0 : (long)Math.Ceiling(BigInteger.Log(BigInteger.Abs(big), 2) / 8)),
        _ => BoxedValue + 8,
    };
}
