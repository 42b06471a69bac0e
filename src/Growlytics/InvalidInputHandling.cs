namespace GrowlyticsSdk;

/// <summary>What the SDK does with a call whose input breaks a validation rule.</summary>
public enum InvalidInputHandling
{
    /// <summary>Throw a <see cref="GrowlyticsValidationException"/> at the call. This is the default.</summary>
    Throw = 0,

    /// <summary>
    /// Log a warning (attribute name and rule, never the value; once per 10 seconds, with how many calls were dropped),
    /// count the call in <see cref="GrowlyticsStatistics.InvalidInputs"/> and return without changing anything.
    /// </summary>
    Drop = 1,
}
