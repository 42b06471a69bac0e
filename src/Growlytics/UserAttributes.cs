using System.Collections;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk;

/// <summary>
/// A typed set of user attributes: the reserved <see cref="Name"/>, <see cref="Email"/> and
/// <see cref="Mobile"/> that Growlytics uses for campaigns, plus custom attributes set through the indexer.
/// Trim- and AOT-safe. Not thread-safe: build one per call.
/// </summary>
/// <example>
/// <code>
/// Growlytics.User.Identify("u-42", new UserAttributes
/// {
///     Name = "John Wick",
///     Email = "john@gmail.com",
///     ["subscriptionType"] = "pro",
///     ["totalPurchaseTillNow"] = 30000,
/// });
/// </code>
/// </example>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710", Justification = "The name is part of the documented API.")]
public sealed class UserAttributes : IReadOnlyDictionary<string, object?>
{
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);

    /// <summary>Gets or sets the reserved <c>name</c> attribute.</summary>
    /// <value>The user's display name, or <see langword="null"/> to leave it unchanged.</value>
    public string? Name
    {
        get => Get(AttributeRules.ReservedName);
        set => _values[AttributeRules.ReservedName] = value;
    }

    /// <summary>Gets or sets the reserved <c>email</c> attribute.</summary>
    /// <value>An email address, or <see langword="null"/> to leave it unchanged.</value>
    public string? Email
    {
        get => Get(AttributeRules.ReservedEmail);
        set => _values[AttributeRules.ReservedEmail] = value;
    }

    /// <summary>Gets or sets the reserved <c>mobile</c> attribute.</summary>
    /// <value>A phone number (7 to 15 digits, optional leading <c>+</c>), or <see langword="null"/> to leave it unchanged.</value>
    public string? Mobile
    {
        get => Get(AttributeRules.ReservedMobile);
        set => _values[AttributeRules.ReservedMobile] = value;
    }

    /// <summary>Gets the number of attributes set, including those set to <see langword="null"/>.</summary>
    public int Count => _values.Count;

    /// <inheritdoc />
    public IEnumerable<string> Keys => _values.Keys;

    /// <inheritdoc />
    public IEnumerable<object?> Values => _values.Values;

    /// <summary>Gets or sets an attribute by name. The reserved names are matched without regard to case.</summary>
    /// <param name="name">The attribute name.</param>
    /// <returns>The value, or <see langword="null"/> when the attribute is not set.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    public object? this[string name]
    {
        get => _values.TryGetValue(Normalize(name, nameof(name)), out var value) ? value : null;
        set => _values[Normalize(name, nameof(name))] = value;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    public bool ContainsKey(string key) => _values.ContainsKey(Normalize(key, nameof(key)));

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    public bool TryGetValue(string key, out object? value) => _values.TryGetValue(Normalize(key, nameof(key)), out value);

    /// <summary>Returns an enumerator over the attributes.</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // The exception names the caller's parameter: the indexer's "name", the lookups' "key".
    private static string Normalize(string name, string parameterName)
    {
        if (name is null)
        {
            throw new ArgumentNullException(parameterName);
        }

        return AttributeRules.NormalizeReserved(name);
    }

    private string? Get(string key) => _values.TryGetValue(key, out var value)
        ? value switch
        {
            string text => text,
            char c => c.ToString(),
            _ => null,
        }
        : null;
}
