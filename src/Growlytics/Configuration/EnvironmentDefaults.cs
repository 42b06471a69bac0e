namespace GrowlyticsSdk.Configuration;

/// <summary>
/// Fills <see cref="GrowlyticsOptions.ApiKey"/> and <see cref="GrowlyticsOptions.Endpoint"/> from the
/// <c>GROWLYTICS_API_KEY</c> and <c>GROWLYTICS_ENDPOINT</c> environment variables when code and configuration left
/// them unset, so a deployment (or a test run) can point an app at a key and a collector without a code change.
/// Code and configuration always win.
/// </summary>
internal static class EnvironmentDefaults
{
    public const string ApiKeyVariable = "GROWLYTICS_API_KEY";
    public const string EndpointVariable = "GROWLYTICS_ENDPOINT";

    /// <param name="options">The settings to fill.</param>
    /// <param name="parameter">The caller's parameter the settings came from, named by the exception (or none).</param>
    /// <exception cref="ArgumentException"><c>GROWLYTICS_ENDPOINT</c> is used and is not an absolute URI.</exception>
    public static void Apply(GrowlyticsOptions options, string? parameter = "options")
    {
        if (string.IsNullOrWhiteSpace(options.ApiKey) && Read(ApiKeyVariable) is { } apiKey)
        {
            options.ApiKey = apiKey;
            options.ApiKeyFromEnvironment = true;
        }

        if (!options.IsEndpointSet && Read(EndpointVariable) is { } endpoint)
        {
            // The message names the variable, not its value, like every options error.
            options.Endpoint = TryParseEndpoint(endpoint, out var uri)
                ? uri
                : throw new ArgumentException($"The {EndpointVariable} environment variable must be an absolute URI such as https://dcqs-india.growlytics.in/.", parameter);
            options.EndpointFromEnvironment = true;
        }
    }

    /// <summary>
    /// Parses an endpoint given as text (an environment variable, configuration): an absolute URI with its scheme written
    /// out. A path such as <c>/collector</c>, which .NET reads as a <c>file://</c> URI on Linux and macOS, is not one.
    /// </summary>
    internal static bool TryParseEndpoint(string text, out Uri uri)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var parsed)
            && !(parsed.IsFile && !text.TrimStart().StartsWith(Uri.UriSchemeFile + ":", StringComparison.OrdinalIgnoreCase)))
        {
            uri = parsed;
            return true;
        }

        uri = null!;
        return false;
    }

    private static string? Read(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }
}
