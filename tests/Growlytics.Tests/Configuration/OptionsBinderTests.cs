using GrowlyticsSdk.DependencyInjection;
using Microsoft.Extensions.Configuration;

namespace GrowlyticsSdk.Tests.Configuration;

/// <summary>The configuration binder: values that do not parse are reported together, by key, never by value.</summary>
public sealed class OptionsBinderTests
{
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
    public void Bind_EndpointNotAnAbsoluteUri_SaysWhatItMustBe()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Growlytics:Endpoint"] = "not a uri" })
            .Build().GetSection(GrowlyticsOptions.SectionName);

        var bind = () => OptionsBinder.Bind(section, new GrowlyticsOptions());

        bind.Should().Throw<InvalidOperationException>().Which.Message.Should().Contain("Growlytics:Endpoint must be an absolute URI").And.NotContain("not a uri");
    }
}
