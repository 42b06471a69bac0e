namespace GrowlyticsSdk.Testing;

/// <summary>One call as the SDK sent it: a Batch message, or a REST customer upsert.</summary>
public sealed class RecordedCall
{
    internal RecordedCall(RecordedCallType type, string? userId, string? anonymousId, IReadOnlyList<RecordedAttribute> attributes)
    {
        Type = type;
        UserId = userId;
        AnonymousId = anonymousId;
        Attributes = attributes;
    }

    /// <summary>Gets what the call did.</summary>
    public RecordedCallType Type { get; }

    /// <summary>Gets the identified user (the customer id with REST), or <see langword="null"/> for an anonymous update.</summary>
    public string? UserId { get; }

    /// <summary>
    /// Gets the session's anonymous id (Batch), or <see langword="null"/> with REST, which does not send it, and for a
    /// <c>Customers</c> update, which belongs to no session.
    /// </summary>
    public string? AnonymousId { get; }

    /// <summary>Gets the attributes in the order they were sent (none for a logout).</summary>
    public IReadOnlyList<RecordedAttribute> Attributes { get; }

    /// <summary>Gets the value of an attribute sent with this call, as text (see <see cref="RecordedAttribute.Value"/>).</summary>
    /// <param name="name">The attribute name.</param>
    /// <returns>The value, or <see langword="null"/> when the call did not send that attribute.</returns>
    public string? this[string name] => Attributes.LastOrDefault(a => string.Equals(a.Name, name, StringComparison.Ordinal))?.Value;

    /// <summary>Returns the call's type, user and attributes (<c>name=value</c>, see <see cref="RecordedAttribute.ToString"/>), for test failure messages.</summary>
    /// <returns>The call as text.</returns>
    public override string ToString() =>
        Type + " " + (UserId ?? "(anonymous " + AnonymousId + ")") + " [" + string.Join(", ", Attributes.Select(a => a.ToString())) + "]";
}
