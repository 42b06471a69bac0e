namespace GrowlyticsSdk.Configuration;

// The problems of time options that configuration wrote as a bare number.
internal static partial class OptionsValidation
{
    /// <summary>
    /// Adds to each problem of a time option that configuration wrote as a bare whole number (read as days, see
    /// <see cref="GrowlyticsOptions.TimeKeysReadAsDays"/>) that it was read so, naming the key: such a value out of range
    /// stops the start, so no client logs the warning that says it (event 1017), and the error alone showed
    /// <c>5.00:00:00</c> for a "5" meant as seconds. The key's path only, never a value.
    /// </summary>
    private static void NoteTimesReadAsDays(List<string> errors, GrowlyticsOptions options)
    {
        foreach (var path in options.TimeKeysReadAsDays)
        {
            var name = path.Substring(path.LastIndexOf(':') + 1);
            var option = "GrowlyticsOptions." + name + " ";
            for (var i = 0; i < errors.Count; i++)
            {
                if (Names(errors[i], option))
                {
                    errors[i] = errors[i].TrimEnd('.') + ": " + path + " is written as a bare number, which is read as a number of "
                        + "days. Write the unit out: hh:mm:ss for seconds (00:00:05 is 5 seconds), or d.hh:mm:ss for days.";
                }
            }
        }
    }

    // Configuration keys match options in any case ("flushInterval").
    private static bool Names(string error, string option) =>
#if NET8_0_OR_GREATER
        error.Contains(option, StringComparison.OrdinalIgnoreCase);
#else
        error.IndexOf(option, StringComparison.OrdinalIgnoreCase) >= 0;
#endif
}
