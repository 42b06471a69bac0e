namespace GrowlyticsSdk.Validation;

/// <summary>
/// The attribute-name and attribute-count limits of one wire protocol. <see cref="GrowlyticsProtocol.Rest"/> follows
/// Growlytics' REST pages (names fewer than 50 characters, at most 100 attributes); <see cref="GrowlyticsProtocol.Batch"/>
/// keeps the profile-concepts page's (names up to 120 characters, at most 256 attributes).
/// </summary>
internal sealed class AttributeLimits
{
    public static readonly AttributeLimits Rest = new(GrowlyticsProtocol.Rest, AttributeRules.RestMaxNameLength, AttributeRules.RestMaxAttributes, "fewer than 50 characters");

    public static readonly AttributeLimits Batch = new(GrowlyticsProtocol.Batch, AttributeRules.BatchMaxNameLength, AttributeRules.BatchMaxAttributes, "at most 120 characters");

    private AttributeLimits(GrowlyticsProtocol protocol, int maxNameLength, int maxAttributes, string nameRule)
    {
        Protocol = protocol;
        MaxNameLength = maxNameLength;
        MaxAttributes = maxAttributes;
        NameRule = nameRule;
    }

    public GrowlyticsProtocol Protocol { get; }

    /// <summary>Gets the longest attribute name allowed, in characters (inclusive).</summary>
    public int MaxNameLength { get; }

    /// <summary>Gets the most attributes one call may carry (and, in REST, an anonymous session may hold).</summary>
    public int MaxAttributes { get; }

    /// <summary>Gets the name-length rule as the validation messages state it.</summary>
    public string NameRule { get; }

    public static AttributeLimits For(GrowlyticsProtocol protocol) => protocol == GrowlyticsProtocol.Rest ? Rest : Batch;
}
