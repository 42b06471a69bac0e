using GrowlyticsSdk.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GrowlyticsSdk.DependencyInjection;

/// <summary>
/// What every <c>AddGrowlytics</c> call on one container asked for: the configuration sections to bind and the delegates
/// to run. The options are built from all of them at once: each section bound (the <c>Growlytics</c> section of the
/// container's configuration once, however many calls asked for it), then every delegate in call order, then the
/// environment variables where all of that left the key or endpoint unset (a malformed <c>GROWLYTICS_ENDPOINT</c> is
/// refused at validation, if nothing set the endpoint since). The defaults for a host come first, before
/// every <c>Configure</c> the app registered (<see cref="ApplyHostDefaults"/>).
/// </summary>
internal sealed class GrowlyticsRegistrations
{
    private readonly IConfiguration?[] _sections;
    private readonly Action<GrowlyticsOptions>[] _configures;

    /// <summary>What <paramref name="previous"/> asked for, and one more call's section and delegate.</summary>
    public GrowlyticsRegistrations(GrowlyticsRegistrations? previous, IConfiguration? section, Action<GrowlyticsOptions>? configure)
    {
        var sections = previous?._sections ?? [];
        _sections = Array.Exists(sections, s => ReferenceEquals(s, section)) ? sections : [.. sections, section];
        var configures = previous?._configures ?? [];
        _configures = configure is null ? configures : [.. configures, configure];
    }

    /// <summary>
    /// The defaults for a host, which <c>AddGrowlytics</c> registers ahead of every other configuration of the options: a
    /// <c>services.Configure&lt;GrowlyticsOptions&gt;</c> the app registered before <c>AddGrowlytics</c> sets them over it.
    /// Applied with the sections, they reset such a <c>Configure</c>'s session mode though no configuration held one.
    /// </summary>
    public static void ApplyHostDefaults(GrowlyticsOptions options)
    {
        options.SessionMode = SessionMode.RequireScope;
        options.FlushOnProcessExit = false;
    }

    public void Apply(GrowlyticsOptions options, IServiceProvider provider)
    {
        foreach (var section in _sections)
        {
            var source = section ?? provider.GetService<IConfiguration>()?.GetSection(GrowlyticsOptions.SectionName);
            if (source is not null)
            {
                OptionsBinder.Bind(source, options);
            }

            // AddGrowlytics(builder.Configuration): the settings are one level down, and the error says so.
            // (A key in the section is not needed: GROWLYTICS_API_KEY may supply it, and the section's endpoint would be
            // ignored without a word.)
            options.GivenTheConfigurationRoot |= section is not null
                && section[nameof(GrowlyticsOptions.ApiKey)] is null
                && section.GetSection(GrowlyticsOptions.SectionName).GetChildren().Any();
        }

        foreach (var configure in _configures)
        {
            configure(options);
        }

        // A GROWLYTICS_ENDPOINT that is not an absolute URI is refused by the validator, once the app's Configure and
        // PostConfigure registered after AddGrowlytics had their turn to set the endpoint (the variable is unused then).
        EnvironmentDefaults.Fill(options);
    }
}
