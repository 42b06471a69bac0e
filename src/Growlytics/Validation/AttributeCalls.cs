using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Validation;

/// <summary>
/// The one place a public call reads its attributes: validated against the client's protocol limits, and an invalid
/// call either thrown or, with <see cref="InvalidInputHandling.Drop"/>, logged, counted and dropped.
/// </summary>
internal static class AttributeCalls
{
    /// <summary>Reads <paramref name="attributes"/> with <paramref name="read"/> (a static lambda, so no allocation).</summary>
    /// <returns><see langword="false"/> when the call was invalid and dropped; the caller then returns without effect.</returns>
    /// <exception cref="GrowlyticsValidationException">The call is invalid and <see cref="InvalidInputHandling.Throw"/> is set.</exception>
    public static bool TryRead<T>(GrowlyticsClient client, T attributes, Func<T, AttributeLimits, UserAttribute[]> read, out UserAttribute[] result)
    {
        try
        {
            result = read(attributes, client.AttributeLimits);
            return true;
        }
        catch (GrowlyticsValidationException ex) when (client.TryDropInvalidInput(ex))
        {
            result = [];
            return false;
        }
    }

    /// <summary>Checks a user or customer id; see <see cref="TryRead"/> for what an invalid one does.</summary>
    public static bool CheckUserId(GrowlyticsClient client, string? userId, string parameterName = "userId")
    {
        if (UserIds.GetError(userId, parameterName) is not { } error)
        {
            return true;
        }

        if (client.TryDropInvalidInput(error))
        {
            return false;
        }

        throw error;
    }
}
