namespace GrowlyticsSdk.Protocols;

/// <summary>What a refusal body says that is safe to log: the field and the rule, never the value.</summary>
internal sealed class RejectionDetails
{
    public RejectionDetails(string? path, string? type)
    {
        Path = path;
        Type = type;
    }

    /// <summary>
    /// Gets the refused field, e.g. <c>attributes.0.value</c>: indexes and names the request sent only, any other element
    /// <c>?</c>.
    /// </summary>
    public string? Path { get; }

    /// <summary>Gets the rule the field broke, e.g. <c>string.max</c>, when it looks like a rule's name.</summary>
    public string? Type { get; }
}
