using System.Globalization;

namespace GrowlyticsSdk.Validation;

// The exceptions are thrown from the public Push/Identify methods, whose parameters are named here.
#pragma warning disable CA2208

/// <summary>
/// The validation messages, in one place. They name the attribute and the rule; they never contain a
/// value or a user id, which are personal data.
/// </summary>
internal static class ValidationErrors
{
    private const string AttributesParam = "attributes";
    private const string UserIdParam = "userId";

    public static GrowlyticsValidationException EmptyName(AttributeLimits limits) =>
        new(Format("An attribute name is empty: with the {0} protocol names must have 1 to {1} characters ({2}).", limits.Protocol, limits.MaxNameLength, limits.NameRule), AttributesParam, string.Empty);

    public static GrowlyticsValidationException NameTooLong(string name, AttributeLimits limits) =>
        new(Format("Attribute '{0}' has a name of {1} characters: with the {2} protocol names must be {3}.", Shorten(name), name.Length, limits.Protocol, limits.NameRule), AttributesParam, name);

    public static GrowlyticsValidationException NameHasControlCharacter(string name) =>
        new(Format("Attribute '{0}' has a control character in its name: names must not contain control characters.", Shorten(name)), AttributesParam, name);

    public static GrowlyticsValidationException NameNotValidText(string name) =>
        new(Format("Attribute '{0}' has an unpaired surrogate in its name (half of a character such as an emoji): names must be valid UTF-16 text.", Shorten(name)), AttributesParam, name);

    public static GrowlyticsValidationException StringNotValidText(string name) =>
        new(Format("Attribute '{0}' has a string value with an unpaired surrogate (half of a character such as an emoji): string values must be valid UTF-16 text, which the wire's UTF-8 can carry.", Shorten(name)), AttributesParam, name);

    public static GrowlyticsValidationException StringTooLong(string name, int length) =>
        new(Format("Attribute '{0}' has a string value of {1} characters: string values must be at most {2} characters.", Clean(name), length, AttributeRules.MaxStringLength), AttributesParam, name);

    public static GrowlyticsValidationException NotFinite(string name) =>
        new(Format("Attribute '{0}' is NaN or infinite: Growlytics numbers must be finite.", Clean(name)), AttributesParam, name);

    public static GrowlyticsValidationException UnsupportedType(string name, Type type) =>
        new(Format("Attribute '{0}' has a value of type {1}, which Growlytics does not accept: use {2}.", Clean(name), type.Name, AcceptedTypes), AttributesParam, name);

    // The netstandard2.0 build does not read Half, Int128, UInt128 or DateOnly (see AttributeSetBuilder), so it must not suggest them.
#if NET8_0_OR_GREATER
    private const string AcceptedTypes = "a number, BigInteger, string, char, bool, DateTime, DateTimeOffset or DateOnly";
#else
    private const string AcceptedTypes = "a number, BigInteger, string, char, bool, DateTime or DateTimeOffset";
#endif

    public static GrowlyticsValidationException TooManyAttributes(AttributeLimits limits) =>
        new(Format("Too many attributes: with the {0} protocol at most {1} can be sent in one call.", limits.Protocol, limits.MaxAttributes), AttributesParam, null);

    public static GrowlyticsValidationException TooManyHeldAttributes(AttributeLimits limits, int wouldHold) =>
        new(Format("Too many attributes held for the login: with the {0} protocol an anonymous session holds at most {1} distinct attributes until Identify sends them, and this push would make it {2}. Identify the user first, or push fewer attributes.", limits.Protocol, limits.MaxAttributes, wouldHold), AttributesParam, null);

    public static GrowlyticsValidationException DuplicateReserved(string name) =>
        new(Format("Reserved attribute '{0}' is given more than once (reserved names are matched without regard to case).", name), AttributesParam, name);

    public static GrowlyticsValidationException ReservedNotString(string name, Type type) =>
        new(Format("Reserved attribute '{0}' must be a string, not {1}.", name, type.Name), AttributesParam, name);

    public static GrowlyticsValidationException BadEmail() =>
        new("Reserved attribute 'email' must look like an email address (local@domain.tld, no spaces or invisible characters).", AttributesParam, AttributeRules.ReservedEmail);

    public static GrowlyticsValidationException BadMobile() =>
        new(Format("Reserved attribute 'mobile' must be a phone number: {0} to {1} digits, an optional leading '+', and only spaces, '-', '.', '(' or ')' between them.", AttributeRules.MinMobileDigits, AttributeRules.MaxMobileDigits), AttributesParam, AttributeRules.ReservedMobile);

    public static GrowlyticsValidationException AttributeKeyNotString(Type type) =>
        new(Format("An attribute dictionary has a key of type {0}: attribute names must be strings.", type.Name), AttributesParam, null);

    public static GrowlyticsValidationException NotAnAttributeObject(Type type) =>
        new(Format("The attributes are of type {0}: pass an object whose public properties are the attributes (such as new {{ city = \"Pune\" }}), a dictionary of names and values, or UserAttributes.", type.Name), AttributesParam, null);

    public static GrowlyticsValidationException NoReadableProperties(Type type) =>
        new(Format("The attributes object ({0}) has no readable public instance properties, so it carries no attributes. In a trimmed or native AOT app the trimmer may have removed them: pass the object where its type is known at compile time (the generic overload keeps its properties), a dictionary of names and values, or UserAttributes.", type.Name), AttributesParam, null);

    public static GrowlyticsValidationException DuplicateName(string name) =>
        new(Format("Attribute '{0}' is given more than once in one call: each attribute name may appear once (names are matched exactly).", Shorten(name)), AttributesParam, name);

    public static GrowlyticsValidationException DictionaryUnreadable(Type type, Exception cause) =>
        new(Format("The attribute dictionary ({0}) could not be read: enumerating it threw {1}. Pass a dictionary that can be enumerated, and not changed by another thread during the call.", type.Name, cause.GetType().Name), AttributesParam, null, cause);

    public static GrowlyticsValidationException PropertyUnreadable(string name, Exception cause) =>
        new(Format("Attribute '{0}' could not be read: its property getter threw {1}. Attribute objects must have properties that can be read.", Shorten(name), cause.GetType().Name), AttributesParam, name, cause);

    public static GrowlyticsValidationException NumberTooLarge(string name) =>
        new(Format("Attribute '{0}' is a number of more than {1:N0} digits: Growlytics numbers have at most {1:N0} digits.", Clean(name), NumberLimits.MaxDigits), AttributesParam, name);

    public static GrowlyticsValidationException BlankUserId(string parameterName = UserIdParam) =>
        new(Format("The {0} must be a non-blank string.", Describe(parameterName)), parameterName, null);

    public static GrowlyticsValidationException UserIdTooLong(int length, string parameterName = UserIdParam) =>
        new(Format("The {0} has {1} characters: {0}s must be at most {2} characters.", Describe(parameterName), length, AttributeRules.MaxUserIdLength), parameterName, null);

    public static GrowlyticsValidationException UserIdNotValidText(string parameterName = UserIdParam) =>
        new(Format("The {0} has an unpaired surrogate (half of a character such as an emoji): {0}s must be valid UTF-16 text.", Describe(parameterName)), parameterName, null);

    private static string Describe(string parameterName) => parameterName == UserIdParam ? "user id" : "customer id";

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

    // Long or odd names are cut and cleaned so that a message stays one readable line.
    private static string Shorten(string name)
    {
        // Never half of a pair at the cut.
        var keep = name.Length > 32 ? (char.IsHighSurrogate(name[31]) ? 31 : 32) : name.Length;
        return keep < name.Length ? Clean(name.Substring(0, keep)) + "..." : Clean(name);
    }

    // A name as a message shows it: a control or format character (a line break, a Unicode line separator, a direction
    // override, a zero-width character) or an unpaired surrogate is shown as '?', so a name cannot break the message
    // (or the log line it goes to) into forged lines or disguise what it says.
    private static string Clean(string name)
    {
        char[]? chars = null;
        for (var i = 0; i < name.Length; i++)
        {
            // By code point: a format character outside the first plane (a tag character) is a surrogate pair.
            var category = CharUnicodeInfo.GetUnicodeCategory(name, i);
            var pair = char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]);
            if (category is UnicodeCategory.Control or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Format
                || (char.IsSurrogate(name[i]) && !pair))
            {
                chars ??= name.ToCharArray();
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

        return chars is null ? name : new string(chars);
    }
}
