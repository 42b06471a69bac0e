namespace GrowlyticsSdk.Validation;

/// <summary>The user id rule: a non-blank string of at most 40 characters, valid UTF-16 text (no unpaired surrogate).</summary>
internal static class UserIds
{
    public static GrowlyticsValidationException? GetError(string? userId, string parameterName = "userId")
    {
        if (userId is null || string.IsNullOrWhiteSpace(userId))
        {
            return ValidationErrors.BlankUserId(parameterName);
        }

        return userId.Length > AttributeRules.MaxUserIdLength ? ValidationErrors.UserIdTooLong(userId.Length, parameterName)
            : Utf16.HasUnpairedSurrogate(userId) ? ValidationErrors.UserIdNotValidText(parameterName)
            : null;
    }

    public static void ThrowIfInvalid(string? userId)
    {
        if (GetError(userId) is { } error)
        {
            throw error;
        }
    }
}
