namespace GrowlyticsSdk.Validation;

/// <summary>Growlytics' published limits and the reserved attribute names.</summary>
internal static class AttributeRules
{
    public const int MaxUserIdLength = 40;
    public const int MaxStringLength = 512;

    /// <summary>REST: attribute names "fewer than 50 characters".</summary>
    public const int RestMaxNameLength = 49;

    /// <summary>REST: "at most 100 custom attributes".</summary>
    public const int RestMaxAttributes = 100;

    public const int BatchMaxNameLength = 120;
    public const int BatchMaxAttributes = 256;
    public const int MinMobileDigits = 7;
    public const int MaxMobileDigits = 15;

    public const string ReservedName = "name";
    public const string ReservedEmail = "email";
    public const string ReservedMobile = "mobile";

    /// <summary>
    /// Maps any casing of a reserved name to its canonical lower-case form, so that a C# property
    /// <c>Email</c> reaches Growlytics as the reserved <c>email</c>. Other names are returned as given.
    /// </summary>
    public static string NormalizeReserved(string name)
    {
        if (name.Length is < 4 or > 6)
        {
            return name;
        }

        if (string.Equals(name, ReservedName, StringComparison.OrdinalIgnoreCase))
        {
            return ReservedName;
        }

        if (string.Equals(name, ReservedEmail, StringComparison.OrdinalIgnoreCase))
        {
            return ReservedEmail;
        }

        if (string.Equals(name, ReservedMobile, StringComparison.OrdinalIgnoreCase))
        {
            return ReservedMobile;
        }

        return name;
    }

    public static bool LooksLikeEmail(string value)
    {
        var at = value.IndexOf('@');
        if (at <= 0 || at != value.LastIndexOf('@') || at == value.Length - 1)
        {
            return false;
        }

        foreach (var c in value)
        {
            // Nor an invisible format character (a byte order mark a CSV import leaves, a zero-width space or soft hyphen
            // copied from a page, a direction override): the address would look right and reach no one.
            if (char.IsWhiteSpace(c) || char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format)
            {
                return false;
            }
        }

        // The domain needs a dot with something on both sides and no empty label: "a@b.c", not "a@b", "a@.b", "a@.b.c",
        // "a@b..c" or "a@b.".
        var dot = value.LastIndexOf('.');
        return dot > at + 1 && dot < value.Length - 1 && value[at + 1] != '.' && value.IndexOf("..", at, StringComparison.Ordinal) < 0;
    }

    public static bool LooksLikeMobile(string value)
    {
        var digits = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is >= '0' and <= '9')
            {
                digits++;
            }
            else if (c == '+')
            {
                if (i != 0)
                {
                    return false;
                }
            }
            else if (c is not (' ' or '-' or '.' or '(' or ')'))
            {
                return false;
            }
        }

        return digits is >= MinMobileDigits and <= MaxMobileDigits;
    }
}
