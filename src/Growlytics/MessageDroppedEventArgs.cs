namespace GrowlyticsSdk;

/// <summary>
/// Describes messages the client gave up on (see <see cref="GrowlyticsClient.MessageDropped"/>). Never carries an
/// attribute value or the API key.
/// </summary>
public sealed class MessageDroppedEventArgs : EventArgs
{
    internal MessageDroppedEventArgs(DropReason reason, int count, string? customerId, int? statusCode, string? errorPath, string? errorType)
    {
        Reason = reason;
        Count = count;
        CustomerId = customerId;
        StatusCode = statusCode;
        ErrorPath = errorPath;
        ErrorType = errorType;
    }

    /// <summary>Gets why the messages were dropped.</summary>
    public DropReason Reason { get; }

    /// <summary>Gets how many accepted calls were dropped.</summary>
    public int Count { get; }

    /// <summary>Gets the customer (user) id the dropped messages were for, when they were for one customer.</summary>
    public string? CustomerId { get; }

    /// <summary>Gets the HTTP status of the refusal, when the service refused them.</summary>
    public int? StatusCode { get; }

    /// <summary>
    /// Gets the field the service named in a 422 refusal (for example <c>attributes.0.value</c>), when it named one: its
    /// path elements joined with '.'. An element is kept only if it is an array index below 100 or a field name the SDK sent in that
    /// request (<c>id</c>, <c>attributes</c>, <c>name</c>, <c>type</c>, <c>value</c>, or an attribute name of the
    /// request); any other, which could be a value the service echoed, is shown as <c>?</c>.
    /// </summary>
    public string? ErrorPath { get; }

    /// <summary>
    /// Gets the rule the service named in a 422 refusal (for example <c>string.max</c>), when it named one that looks like a
    /// rule's name as Joi writes them (a lower-case family, then dotted names of letters, with digits after a name's first letter; 64 characters at most); otherwise <see langword="null"/>, as it could be a value the
    /// service echoed. <c>success:false</c> for a REST 2xx whose body said <c>{"success": false}</c>.
    /// </summary>
    public string? ErrorType { get; }
}
