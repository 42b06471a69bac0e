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
        Fill(options);
        ThrowIfEndpointVariableInvalid(options, parameter);
    }

    /// <summary>
    /// Fills what is unset. A <c>GROWLYTICS_ENDPOINT</c> that is not an absolute URI is noted
    /// (<see cref="GrowlyticsOptions.EndpointVariableInvalid"/>), not refused: <c>AddGrowlytics</c> fills before the
    /// app's own <c>Configure</c> and <c>PostConfigure</c> run, and one of them may set the endpoint, leaving the
    /// variable unused (it was refused all the same, failing the start).
    /// </summary>
    /// <param name="options">The settings to fill.</param>
    public static void Fill(GrowlyticsOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ApiKey) && Read(ApiKeyVariable) is { } apiKey)
        {
            options.ApiKey = apiKey;
            options.ApiKeyFromEnvironment = true;
        }

        if (!options.IsEndpointSet && Read(EndpointVariable) is { } endpoint)
        {
            if (TryParseEndpoint(endpoint, out var uri))
            {
                options.Endpoint = uri;
                options.EndpointFromEnvironment = true;
            }
            else
            {
                options.EndpointVariableInvalid = true;
            }
        }
    }

    /// <param name="options">The settings <see cref="Fill"/> filled, and whatever ran after it.</param>
    /// <param name="parameter">The caller's parameter the settings came from, named by the exception (or none).</param>
    /// <exception cref="ArgumentException"><c>GROWLYTICS_ENDPOINT</c> was to fill the endpoint, nothing set it since, and it is not an absolute URI.</exception>
    public static void ThrowIfEndpointVariableInvalid(GrowlyticsOptions options, string? parameter)
    {
        if (options.EndpointVariableInvalid)
        {
            // The message names the variable, not its value, like every options error.
            throw new ArgumentException($"The {EndpointVariable} environment variable must be an absolute URI such as https://dcqs-india.growlytics.in/.", parameter);
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
