using System.Diagnostics;
using System.Numerics;
using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Validation;

/// <summary>
/// Validates attributes one at a time and collects them into the array a message carries.
/// The first rule broken throws; nothing is kept, so an invalid call changes nothing.
/// </summary>
internal struct AttributeSetBuilder
{
    // Up to this many attributes a repeated name is looked for by comparing with each; beyond, in a set.
    private const int NamesComparedOneByOne = 32;

    private readonly AttributeLimits _limits;
    private readonly bool _namesAreUnique;
    private UserAttribute[] _items;
    private int _count;
    private byte _reservedSeen;
    private HashSet<string>? _names;

    /// <param name="capacity">How many attributes the source says it has.</param>
    /// <param name="limits">The protocol's limits.</param>
    /// <param name="namesAreUnique">
    /// Whether the source cannot give a name twice (a <see cref="Dictionary{TKey, TValue}"/> with a string comparer,
    /// <see cref="UserAttributes"/>, an object's properties); otherwise each name is checked against those before it.
    /// </param>
    public AttributeSetBuilder(int capacity, AttributeLimits limits, bool namesAreUnique = false)
    {
        _limits = limits;
        _namesAreUnique = namesAreUnique;
        _items = capacity == 0 ? [] : TakeScratch(Math.Min(capacity, limits.MaxAttributes + 1));
        _count = 0;
        _reservedSeen = 0;
        _names = null;
    }

    public void Add(string name, object? value)
    {
        ValidateName(name);
        if (value is null)
        {
            // Null means "nothing to say about this attribute": skipped, not sent.
            return;
        }

        var wireName = AttributeRules.NormalizeReserved(name);
        var kind = Classify(wireName, value);
        if (ReferenceEquals(wireName, AttributeRules.ReservedName)
            || ReferenceEquals(wireName, AttributeRules.ReservedEmail)
            || ReferenceEquals(wireName, AttributeRules.ReservedMobile))
        {
            ValidateReserved(wireName, value);
        }

        if (!_namesAreUnique && IsRepeated(wireName))
        {
            throw ValidationErrors.DuplicateName(wireName);
        }

        if (_count == _limits.MaxAttributes)
        {
            throw ValidationErrors.TooManyAttributes(_limits);
        }

        if (_count == _items.Length)
        {
            Array.Resize(ref _items, Math.Max(4, _items.Length * 2));
        }

        if (value is DateTime { Kind: DateTimeKind.Local } local)
        {
            // The instant it names is read in the time zone of the call: held for a login (REST), a message could wait
            // for hours, and the machine's zone change meanwhile (travel, the user setting it) would move it.
            value = local.ToUniversalTime();
        }

        var attribute = new UserAttribute(wireName, value);
        Debug.Assert(attribute.Kind == kind, "An attribute's type follows from its value's type.");
        _items[_count++] = attribute;
    }

    /// <summary>
    /// The validated attributes, in an array of exactly their number (from the <see cref="MessagePool"/>, see there); ends
    /// the builder.
    /// </summary>
    public readonly UserAttribute[] Build()
    {
        var result = MessagePool.Shared.RentAttributes(_count);
        Array.Copy(_items, result, _count);
        if (_items.Length > 0)
        {
            Array.Clear(_items, 0, _count);
            t_scratch = _items;
        }

        return result;
    }

    // The array calls validate into, reused: a call takes it (a nested call, from a dictionary's enumerator say, finds none
    // and makes its own) and Build gives it back cleared, so a valid call allocates only what its message keeps.
    [ThreadStatic]
    private static UserAttribute[]? t_scratch;

    private static UserAttribute[] TakeScratch(int capacity)
    {
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < capacity)
        {
            return new UserAttribute[Math.Max(capacity, 16)];
        }

        t_scratch = null;
        return scratch;
    }

    private readonly void ValidateName(string name)
    {
        if (name is null || name.Length == 0)
        {
            throw ValidationErrors.EmptyName(_limits);
        }

        if (name.Length > _limits.MaxNameLength)
        {
            throw ValidationErrors.NameTooLong(name, _limits);
        }

        // One pass over the name for both rules: no control character, no half of a surrogate pair.
        var text = name.AsSpan();
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsControl(text[i]))
            {
                throw ValidationErrors.NameHasControlCharacter(name);
            }

            if (Utf16.IsUnpairedSurrogateAt(text, ref i))
            {
                throw ValidationErrors.NameNotValidText(name);
            }
        }
    }

    // A custom dictionary can give a name twice; the message would carry both values and the service keep either.
    private bool IsRepeated(string name)
    {
        if (_names is null)
        {
            for (var i = 0; i < _count; i++)
            {
                if (string.Equals(_items[i].Name, name, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            if (_count < NamesComparedOneByOne)
            {
                return false;
            }

            _names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < _count; i++)
            {
                _names.Add(_items[i].Name);
            }
        }

        return !_names.Add(name);
    }

    private static AttributeKind Classify(string name, object value)
    {
        switch (value)
        {
            case string s:
                return s.Length > AttributeRules.MaxStringLength ? throw ValidationErrors.StringTooLong(name, s.Length)
                    : Utf16.HasUnpairedSurrogate(s) ? throw ValidationErrors.StringNotValidText(name)
                    : AttributeKind.String;
            case bool:
                return AttributeKind.Boolean;
            case BigInteger big:
                return NumberLimits.IsWithinLimit(big) ? AttributeKind.Number : throw ValidationErrors.NumberTooLarge(name);
            case int or long or double or decimal or float or short or byte or sbyte or ushort or uint or ulong:
                if ((value is double d && !IsFinite(d)) || (value is float f && !IsFinite(f)))
                {
                    throw ValidationErrors.NotFinite(name);
                }

                return AttributeKind.Number;
            case char c:
                return char.IsSurrogate(c) ? throw ValidationErrors.StringNotValidText(name) : AttributeKind.String;
            case DateTime or DateTimeOffset:
                return AttributeKind.Date;
#if NET8_0_OR_GREATER
            case Half h:
                return Half.IsFinite(h) ? AttributeKind.Number : throw ValidationErrors.NotFinite(name);
            case Int128 or UInt128:
                return AttributeKind.Number;
            case DateOnly:
                return AttributeKind.Date;
#endif
            default:
                throw ValidationErrors.UnsupportedType(name, value.GetType());
        }
    }

    private void ValidateReserved(string wireName, object value)
    {
        var bit = wireName switch
        {
            AttributeRules.ReservedName => (byte)1,
            AttributeRules.ReservedEmail => (byte)2,
            _ => (byte)4,
        };

        if ((_reservedSeen & bit) != 0)
        {
            throw ValidationErrors.DuplicateReserved(wireName);
        }

        _reservedSeen |= bit;

        // A char is a String value like any other attribute's (section 3's types); only the email and mobile checks follow.
        var s = value switch
        {
            string text => text,
            char c => c.ToString(),
            _ => throw ValidationErrors.ReservedNotString(wireName, value.GetType()),
        };

        if (bit == 2 && !AttributeRules.LooksLikeEmail(s))
        {
            throw ValidationErrors.BadEmail();
        }

        if (bit == 4 && !AttributeRules.LooksLikeMobile(s))
        {
            throw ValidationErrors.BadMobile();
        }
    }

    private static bool IsFinite(double d) => !double.IsNaN(d) && !double.IsInfinity(d);

    private static bool IsFinite(float f) => !float.IsNaN(f) && !float.IsInfinity(f);
}
