using GrowlyticsSdk.Configuration;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.DependencyInjection;

/// <summary>
/// Reports every problem in the options at host start-up (with <c>ValidateOnStart</c>). Only the default (unnamed)
/// options, which <c>AddGrowlytics</c> configures and its client uses: named options are the app's own.
/// </summary>
internal sealed class GrowlyticsOptionsValidator : IValidateOptions<GrowlyticsOptions>
{
    public ValidateOptionsResult Validate(string? name, GrowlyticsOptions options)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        // After every Configure and PostConfigure: one may have set the endpoint the variable was to fill. No parameter of
        // the app holds these settings: the message names the variable only.
        EnvironmentDefaults.ThrowIfEndpointVariableInvalid(options, parameter: null);
        var errors = OptionsValidation.Validate(options);
        // Also when a key was found elsewhere (GROWLYTICS_API_KEY, the configure delegate): the section's other settings
        // (Endpoint, Protocol, StorageDirectory, ...) would be ignored without a word.
        if (options.GivenTheConfigurationRoot)
        {
            errors.Add("The configuration given to AddGrowlytics(configuration) has a Growlytics section holding the settings: pass configuration.GetSection(\"Growlytics\"), or call AddGrowlytics() to bind that section.");
        }

        // Options joins the failures with "; ": each loses its closing full stop, so none ends in ".;".
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => e.TrimEnd('.')));
    }
}
