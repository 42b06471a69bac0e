using GrowlyticsSdk.DependencyInjection;
using Microsoft.Extensions.Configuration;

namespace GrowlyticsSdk.Tests.Configuration;

/// <summary>
/// The configuration binder: each key it reads sets its own option; values that do not parse are reported together, by
/// key, never by value.
/// </summary>
public sealed class OptionsBinderTests
{
    [Fact]
    public void Bind_EmptyValues_LeaveTheOptionsAsTheyWere()
    {
        // An empty value (an appsettings.json placeholder, an environment variable set to nothing) is no setting: the key
        // and endpoint stay for GROWLYTICS_API_KEY and GROWLYTICS_ENDPOINT to fill, and no empty value fails to parse.
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = string.Empty,
            ["Growlytics:Endpoint"] = string.Empty,
            ["Growlytics:MaxBatchSize"] = string.Empty,
            ["Growlytics:FlushInterval"] = string.Empty,
            ["Growlytics:Protocol"] = string.Empty,
            ["Growlytics:StorageDirectory"] = string.Empty,
        }).Build().GetSection(GrowlyticsOptions.SectionName);
        var endpoint = new Uri("http://127.0.0.1:5002/");
        var options = new GrowlyticsOptions { ApiKey = "from-code", Endpoint = endpoint, StorageDirectory = "from-code" };

        OptionsBinder.Bind(section, options);

        string.Equals(options.ApiKey, "from-code", StringComparison.Ordinal).Should().BeTrue("an empty key is no key");
        options.Endpoint.Should().Be(endpoint);
        options.MaxBatchSize.Should().Be(100);
        options.FlushInterval.Should().Be(TimeSpan.FromSeconds(5));
        options.Protocol.Should().Be(GrowlyticsProtocol.Rest);
        options.StorageDirectory.Should().Be("from-code");
    }

    [Theory]
    [InlineData("", "\n")]
    [InlineData("", "\r\n")]
    [InlineData(" \t", "  ")]
    public void Bind_ApiKeyWithSurroundingWhitespace_IsTakenWithoutIt(string before, string after)
    {
        // As a secret file read as configuration often has it: a line break at its end. GROWLYTICS_API_KEY is taken so too.
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Growlytics:ApiKey"] = before + "gk_secret_file_key" + after })
            .Build().GetSection(GrowlyticsOptions.SectionName);
        var options = new GrowlyticsOptions();

        OptionsBinder.Bind(section, options);

        string.Equals(options.ApiKey, "gk_secret_file_key", StringComparison.Ordinal).Should().BeTrue("the key is taken without the whitespace around it (and never shown)");
    }

    [Fact]
    public void Bind_SeveralValuesThatDoNotParse_NamesEachKeyAndNoValue()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = "secret-key-value",
            ["Growlytics:FlushInterval"] = "soon",
            ["Growlytics:MaxBatchSize"] = "many",
            ["Growlytics:Protocol"] = "carrier-pigeon",
            ["Growlytics:MaxQueueSize"] = "500",
        }).Build().GetSection(GrowlyticsOptions.SectionName);
        var options = new GrowlyticsOptions();

        var bind = () => OptionsBinder.Bind(section, options);

        var message = bind.Should().Throw<InvalidOperationException>().Which.Message;
        message.Should().Contain("Growlytics:FlushInterval").And.Contain("Growlytics:MaxBatchSize").And.Contain("Growlytics:Protocol");
        message.Should().NotContain("soon").And.NotContain("many").And.NotContain("carrier-pigeon").And.NotContain("secret-key-value");
        message.Should().NotContain("MaxQueueSize", "that value parses");
        message.Should().Contain("Growlytics:FlushInterval must be a time span, hh:mm:ss")
            .And.Contain("Growlytics:MaxBatchSize must be a whole number")
            .And.Contain("Growlytics:Protocol must be one of Rest, Batch");
    }

    [Fact]
    public void Bind_OneValueThatDoesNotParseAndOneOutOfRange_NamesBothAtOnce()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = "secret-key-value",
            ["Growlytics:MaxStorageBytes"] = "20GB",
            ["Growlytics:MaxQueueBytes"] = "17179869185",
            ["Growlytics:MaxQueueSize"] = "500",
        }).Build().GetSection(GrowlyticsOptions.SectionName);

        var bind = () => OptionsBinder.Bind(section, new GrowlyticsOptions());

        var message = bind.Should().Throw<InvalidOperationException>().Which.Message;
        message.Should().Contain("Growlytics:MaxStorageBytes must be a whole number")
            .And.Contain("GrowlyticsOptions.MaxQueueBytes must be between")
            .And.NotContain("MaxQueueSize").And.NotContain("secret-key-value");
    }

    [Fact]
    public void Bind_AWholeNumberTooLargeForItsType_SaysHowLargeItMayBe()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:MaxQueueBytes"] = "99999999999999999999",
            ["Growlytics:MaxBatchSize"] = "3000000000",
        }).Build().GetSection(GrowlyticsOptions.SectionName);

        var bind = () => OptionsBinder.Bind(section, new GrowlyticsOptions());

        bind.Should().Throw<InvalidOperationException>().Which.Message.Should()
            .Contain("Growlytics:MaxQueueBytes must be a whole number from -9223372036854775808 to 9223372036854775807")
            .And.Contain("Growlytics:MaxBatchSize must be a whole number from -2147483648 to 2147483647");
    }

    [Fact]
    public void Validator_SeveralProblems_JoinedWithoutDoubledPunctuation()
    {
        var options = new GrowlyticsOptions { ApiKey = "k", MaxBatchSize = 0, MaxQueueSize = 0 };

        var result = new GrowlyticsOptionsValidator().Validate(null, options);

        result.Failed.Should().BeTrue();
        result.FailureMessage.Should().Contain("MaxBatchSize must be between").And.Contain("MaxQueueSize must be between")
            .And.NotContain(".;");
    }

    [Theory]
    [InlineData("Protocol", "1")]
    [InlineData("Protocol", "Rest,Batch")]
    [InlineData("QueueOverflowPolicy", "0")]
    [InlineData("SessionMode", "Grpc")]
    public void Bind_EnumOptionNotANameOfTheEnum_IsRefusedNamingItsValues(string key, string value)
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Analytics:" + key] = value })
            .Build().GetSection("Analytics");

        var bind = () => OptionsBinder.Bind(section, new GrowlyticsOptions());

        bind.Should().Throw<InvalidOperationException>().Which.Message.Should().Contain($"Analytics:{key} must be one of ", "the section's own path names the key");
    }

    [Theory]
    [InlineData(" batch ", GrowlyticsProtocol.Batch)]
    [InlineData("REST", GrowlyticsProtocol.Rest)]
    public void Bind_EnumName_AnyCaseAndSurroundingSpace_IsTaken(string value, GrowlyticsProtocol expected)
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Growlytics:Protocol"] = value })
            .Build().GetSection(GrowlyticsOptions.SectionName);
        var options = new GrowlyticsOptions { Protocol = expected == GrowlyticsProtocol.Rest ? GrowlyticsProtocol.Batch : GrowlyticsProtocol.Rest };

        OptionsBinder.Bind(section, options);

        options.Protocol.Should().Be(expected);
    }

    [Fact]
    public void Bind_EveryKey_SetsItsOwnOption_InAnyCase()
    {
        // Each value differs from the option's default and from every other option's value of its type; the byte bounds
        // are beyond what an int holds. Keys as a JSON file often writes them (camelCase) and as environment variables do
        // (upper case).
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:apiKey"] = "gk_bound_key",
            ["Growlytics:endpoint"] = "https://collector.example.com/growlytics/",
            ["Growlytics:maxQueueSize"] = "1234",
            ["Growlytics:maxConcurrentRequests"] = "17",
            ["Growlytics:maxQueueBytes"] = "5000000000",
            ["Growlytics:protocol"] = "Batch",
            ["Growlytics:maxBatchSize"] = "77",
            ["Growlytics:maxBatchBytes"] = "65536",
            ["Growlytics:maxRetryAttempts"] = "3",
            ["Growlytics:flushInterval"] = "00:00:07",
            ["Growlytics:requestTimeout"] = "00:00:11",
            ["Growlytics:retryBaseDelay"] = "00:00:00.250",
            ["Growlytics:maxRetryDelay"] = "00:00:45",
            ["Growlytics:retryBudget"] = "00:03:00",
            ["Growlytics:circuitBreakDuration"] = "00:00:20",
            ["Growlytics:shutdownTimeout"] = "00:00:09",
            ["Growlytics:queueOverflowPolicy"] = "DropOldest",
            ["Growlytics:invalidInputHandling"] = "Drop",
            ["Growlytics:sessionMode"] = "RequireScope",
            ["GROWLYTICS:STORAGEDIRECTORY"] = "/var/lib/app/growlytics",
            ["GROWLYTICS:STORAGECOMMITINTERVAL"] = "00:00:00.500",
            ["GROWLYTICS:MAXSTORAGEAGE"] = "2.00:00:00",
            ["GROWLYTICS:MAXSTORAGEBYTES"] = "6000000000",
            ["GROWLYTICS:ANONYMOUSATTRIBUTERETENTION"] = "00:45:00",
            ["GROWLYTICS:MAXHELDANONYMOUSSESSIONS"] = "500",
        }).Build().GetSection(GrowlyticsOptions.SectionName);
        var options = new GrowlyticsOptions();

        OptionsBinder.Bind(section, options);

        string.Equals(options.ApiKey, "gk_bound_key", StringComparison.Ordinal).Should().BeTrue("the key is bound (and never shown)");
        options.Endpoint.Should().Be(new Uri("https://collector.example.com/growlytics/"));
        options.MaxQueueSize.Should().Be(1234);
        options.MaxConcurrentRequests.Should().Be(17);
        options.MaxQueueBytes.Should().Be(5_000_000_000);
        options.Protocol.Should().Be(GrowlyticsProtocol.Batch);
        options.MaxBatchSize.Should().Be(77);
        options.MaxBatchBytes.Should().Be(65536);
        options.MaxRetryAttempts.Should().Be(3);
        options.FlushInterval.Should().Be(TimeSpan.FromSeconds(7));
        options.RequestTimeout.Should().Be(TimeSpan.FromSeconds(11));
        options.RetryBaseDelay.Should().Be(TimeSpan.FromMilliseconds(250));
        options.MaxRetryDelay.Should().Be(TimeSpan.FromSeconds(45));
        options.RetryBudget.Should().Be(TimeSpan.FromMinutes(3));
        options.CircuitBreakDuration.Should().Be(TimeSpan.FromSeconds(20));
        options.ShutdownTimeout.Should().Be(TimeSpan.FromSeconds(9));
        options.QueueOverflowPolicy.Should().Be(QueueOverflowPolicy.DropOldest);
        options.InvalidInputHandling.Should().Be(InvalidInputHandling.Drop);
        options.SessionMode.Should().Be(SessionMode.RequireScope);
        options.StorageDirectory.Should().Be("/var/lib/app/growlytics");
        options.StorageCommitInterval.Should().Be(TimeSpan.FromMilliseconds(500));
        options.MaxStorageAge.Should().Be(TimeSpan.FromDays(2));
        options.MaxStorageBytes.Should().Be(6_000_000_000);
        options.AnonymousAttributeRetention.Should().Be(TimeSpan.FromMinutes(45));
        options.MaxHeldAnonymousSessions.Should().Be(500);
        options.UnreadConfigurationKeys.Should().BeEmpty("every key is an option");
        GrowlyticsSdk.Configuration.OptionsValidation.Validate(options).Should().BeEmpty();
    }

    [Fact]
    public void Bind_NestedSection_NamesTheKeyByItsFullPath_AndNotTheKeyItLeavesToTheEnvironment()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Services:Analytics:MaxBatchSize"] = "many",
            ["Services:Analytics:MaxQueueSize"] = "0",
        }).Build().GetSection("Services:Analytics");

        var bind = () => OptionsBinder.Bind(section, new GrowlyticsOptions());

        bind.Should().Throw<InvalidOperationException>().Which.Message.Should()
            .Contain("Services:Analytics:MaxBatchSize must be a whole number")
            .And.Contain("GrowlyticsOptions.MaxQueueSize must be between 1 and 10000000 (it is 0)")
            .And.NotContain("ApiKey", "GROWLYTICS_API_KEY or the app's code may still give the key");
    }

    // An option written as an object or a list in a settings file ("Endpoint": { "Url": ... }, "Endpoint": [ ... ]) holds
    // keys below it and no value: it was ignored without a word, and the option kept its default (for the endpoint,
    // Growlytics' own collector in place of the app's).
    [Theory]
    [InlineData("Endpoint:Url", "Endpoint must be an absolute URI")]
    [InlineData("Endpoint:0", "Endpoint must be an absolute URI")]
    [InlineData("ApiKey:Value", "ApiKey must be the project's API key")]
    [InlineData("StorageDirectory:Linux", "StorageDirectory must be a folder path")]
    [InlineData("MaxQueueSize:Value", "MaxQueueSize must be a whole number")]
    [InlineData("FlushInterval:Seconds", "FlushInterval must be a time span")]
    [InlineData("Protocol:0", "Protocol must be one of Rest, Batch")]
    public void Bind_OptionGivenAsASectionWithKeysBelowIt_IsRefusedNamingTheKeyNotTheValues(string path, string rule)
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:" + path] = "secret-key-value",
        }).Build().GetSection(GrowlyticsOptions.SectionName);

        var bind = () => OptionsBinder.Bind(section, new GrowlyticsOptions());

        bind.Should().Throw<InvalidOperationException>().Which.Message.Should()
            .Contain("Growlytics:" + rule).And.Contain("not a section").And.NotContain("secret-key-value");
    }

    [Fact]
    public void Bind_EndpointNotAnAbsoluteUri_SaysWhatItMustBe()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Growlytics:Endpoint"] = "not a uri" })
            .Build().GetSection(GrowlyticsOptions.SectionName);

        var bind = () => OptionsBinder.Bind(section, new GrowlyticsOptions());

        bind.Should().Throw<InvalidOperationException>().Which.Message.Should().Contain("Growlytics:Endpoint must be an absolute URI").And.NotContain("not a uri");
    }
}
