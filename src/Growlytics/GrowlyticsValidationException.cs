namespace GrowlyticsSdk;

/// <summary>
/// Thrown at the call when a user id or an attribute breaks one of Growlytics' rules. The message names
/// the attribute and the rule, never the value (attribute values are personal data). A call that throws
/// changes nothing: no message is queued and the session is unchanged.
/// </summary>
/// <remarks>
/// Besides the name, type and reserved-attribute rules, these bounds are checked at the call: a number has at most
/// 1,000 digits (only a <see cref="System.Numerics.BigInteger"/> can exceed it), a string value at most 512 characters;
/// an attributes object must have readable public instance properties, none of whose getters throws (nor may a
/// dictionary's enumeration throw); a name may appear once per call; runtime objects
/// (<see cref="System.Type"/>, delegates, pointers, tasks) are not attributes objects.
/// </remarks>
public sealed class GrowlyticsValidationException : ArgumentException
{
    /// <summary>Initializes a new instance of the <see cref="GrowlyticsValidationException"/> class.</summary>
    public GrowlyticsValidationException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GrowlyticsValidationException"/> class.</summary>
    /// <param name="message">The message that names the attribute and the rule.</param>
    public GrowlyticsValidationException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GrowlyticsValidationException"/> class.</summary>
    /// <param name="message">The message that names the attribute and the rule.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public GrowlyticsValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GrowlyticsValidationException"/> class.</summary>
    /// <param name="message">The message that names the attribute and the rule.</param>
    /// <param name="paramName">The parameter of the call that holds the bad input.</param>
    /// <param name="attributeName">The offending attribute, or <see langword="null"/> when the user id is at fault.</param>
    internal GrowlyticsValidationException(string message, string? paramName, string? attributeName)
        : base(message, paramName)
    {
        AttributeName = attributeName;
    }

    // Keeps what the app's own code threw (a property getter), for its stack trace; the message stays ours.
    internal GrowlyticsValidationException(string message, string? paramName, string? attributeName, Exception innerException)
        : base(message, paramName, innerException)
    {
        AttributeName = attributeName;
    }

    /// <summary>Gets the name of the offending attribute.</summary>
    /// <value><see langword="null"/> when the fault is not in an attribute (for example, the user id).</value>
    public string? AttributeName { get; }
}
