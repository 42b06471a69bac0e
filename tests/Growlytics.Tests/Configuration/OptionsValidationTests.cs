namespace GrowlyticsSdk.Tests.Configuration;

public sealed class OptionsValidationTests
{
    private const string Key = "secret-key-7f3a";

    [Theory]
    [InlineData("https://api.growlytics.in/")]
    [InlineData("https://collector.example.com/growlytics/")]
    [InlineData("https://collector.example.com/rest-api/customers/")]
    [InlineData("http://127.0.0.1:5080/")]
    [InlineData("http://localhost:5080/")]
    [InlineData("http://[::1]:5080/")]
    [InlineData("http://[::ffff:127.0.0.1]:5080/")]
    [InlineData("http://127.0.0.2/")]
    public void Constructor_AllowedEndpoint_Accepts(string endpoint)
    {
        var options = Options(o => o.Endpoint = new Uri(endpoint));

        GrowlyticsSdk.Configuration.OptionsValidation.Validate(options).Should().BeEmpty();
        ShouldAcceptCalls(options);
    }

    [Theory]
    [InlineData("http://api.growlytics.in/", "https")]
    [InlineData("http://10.0.0.5/", "https")]
    [InlineData("http://[::127.0.0.1]:5080/", "https")] // IPv4-compatible IPv6: routed out of the machine, not loopback
    [InlineData("http://[::7f00:1]/", "https")]
    [InlineData("https://api.growlytics.in/?tenant=1", "query string")]
    [InlineData("https://api.growlytics.in/#x", "fragment")]
    [InlineData("https://api.growlytics.in:0/", "port 0")]
    [InlineData("http://127.0.0.1:0/", "port 0")]
    [InlineData("https://dcqs-india.growlytics.in/rest-api/customer", "base address")]
    [InlineData("https://dcqs-india.growlytics.in/rest-api/customer/", "base address")]
    [InlineData("https://relay.example.com/growlytics/Events/SDK-Batch", "base address")]
    public void Constructor_RejectedEndpoint_ThrowsNamingTheRule(string endpoint, string rule)
    {
        var act = () => new GrowlyticsClient(Options(o => o.Endpoint = new Uri(endpoint)), startDelivery: false);

        act.Should().Throw<ArgumentException>()
            .WithMessage($"*Endpoint*{rule}*")
            .Which.Message.Should().NotContain(Key);
    }

    [Theory]
    [InlineData("   ", "blank")]
    [InlineData("\t", "blank")]
    [InlineData("/tmp/a\0b", "control character")]
    [InlineData("/tmp/a\tb", "control character")]
    [InlineData("/tmp/a\nb", "control character")]
    public void Constructor_UnusableStorageDirectory_ThrowsNamingTheRule(string directory, string rule)
    {
        var act = () => new GrowlyticsClient(Options(o => o.StorageDirectory = directory), startDelivery: false);

        act.Should().Throw<ArgumentException>().WithMessage($"*StorageDirectory*{rule}*");
    }

    // Nothing in .NET expands these: the folder would be made under the literal name, below the current directory.
    [Theory]
    [InlineData("~")]
    [InlineData("~/growlytics")]
    [InlineData("%LOCALAPPDATA%/MyApp/Growlytics")]
    [InlineData("$HOME/.myapp")]
    [InlineData("${XDG_DATA_HOME}/myapp")]
    [InlineData("/var/lib/$APP_NAME/growlytics")]
    [InlineData(@"C:\Users\%USERNAME%\AppData\Local\MyApp")]
    [InlineData(@"%ProgramFiles(x86)%\MyApp")]
    [InlineData(@"~\growlytics")]
    public void Constructor_StorageDirectoryWithAnUnexpandedHomeOrVariable_ThrowsSayingNothingExpandsIt(string directory)
    {
        var act = () => new GrowlyticsClient(Options(o => o.StorageDirectory = directory), startDelivery: false);

        act.Should().Throw<ArgumentException>().WithMessage("*StorageDirectory*not expanded*");
    }

    [Theory]
    [InlineData("/tmp/a~b/growlytics")]
    [InlineData("~growlytics")]
    [InlineData("/srv/share$/growlytics")]
    [InlineData("/tmp/100%/growlytics")]
    [InlineData(@"\\server\share$\growlytics")]
    [InlineData(@"C:\PROGRA~1\MyApp\growlytics")]
    [InlineData(@"C:\data\50%\growlytics")]
    public void Validate_StorageDirectoryWithTildeDollarOrPercentThatRefersToNothing_IsTaken(string directory)
    {
        GrowlyticsSdk.Configuration.OptionsValidation.Validate(Options(o => o.StorageDirectory = directory)).Should().BeEmpty();
    }

    [Fact]
    public void Validate_EmptyStorageDirectory_MeansNoStorage()
    {
        GrowlyticsSdk.Configuration.OptionsValidation.Validate(Options(o => o.StorageDirectory = string.Empty)).Should().BeEmpty();
    }

    [Fact]
    public void Constructor_SeveralProblems_ListsEachWithoutTheKey()
    {
        var act = () => new GrowlyticsClient(
            Options(o =>
            {
                o.MaxBatchSize = 0;
                o.FlushInterval = TimeSpan.Zero;
                o.Endpoint = new Uri("http://example.com/");
            }),
            startDelivery: false);

        var message = act.Should().Throw<ArgumentException>().Which.Message;
        message.Should().Contain("MaxBatchSize").And.Contain("FlushInterval").And.Contain("Endpoint").And.NotContain(Key);
    }

    [Theory]
    [InlineData(10_000, 1_000)] // a budget of a second ends an attempt that the 10 s timeout would let finish
    [InlineData(300_000, 120_000)] // a 5-minute timeout under the default 2-minute budget
    public void Constructor_RetryBudgetShorterThanRequestTimeout_ThrowsNamingBoth(int requestTimeoutMs, int retryBudgetMs)
    {
        var act = () => new GrowlyticsClient(
            Options(o =>
            {
                o.RequestTimeout = TimeSpan.FromMilliseconds(requestTimeoutMs);
                o.RetryBudget = TimeSpan.FromMilliseconds(retryBudgetMs);
            }),
            startDelivery: false);

        act.Should().Throw<ArgumentException>().WithMessage("*RetryBudget*at least*RequestTimeout*");
    }

    [Fact]
    public void Validate_RetryBudgetEqualToRequestTimeout_Accepts()
    {
        var options = Options(o =>
        {
            o.RequestTimeout = TimeSpan.FromMinutes(2);
            o.RetryBudget = TimeSpan.FromMinutes(2);
        });

        GrowlyticsSdk.Configuration.OptionsValidation.Validate(options).Should().BeEmpty();
    }

    [Fact]
    public void Constructor_MissingApiKey_SaysWhereToSetIt()
    {
        var act = () => new GrowlyticsClient(Options(o => o.ApiKey = " "), startDelivery: false);

        act.Should().Throw<ArgumentException>().WithMessage("*ApiKey is required*");
    }

    [Theory]
    [InlineData("key\r\nX-Injected: yes")]
    [InlineData("key\nvalue")]
    [InlineData(" leading-space")]
    [InlineData("trailing-space ")]
    [InlineData("in side")]
    [InlineData("tab\tkey")]
    [InlineData("nul\0key")]
    [InlineData("del\u007Fkey")]
    [InlineData("schl\u00FCssel")]
    [InlineData("key\u00A0nbsp")]
    [InlineData("emoji\U0001F600")]
    public void Constructor_ApiKeyWithForbiddenCharacter_ThrowsWithoutEchoingTheKey(string apiKey)
    {
        var act = () => new GrowlyticsClient(Options(o => o.ApiKey = apiKey), startDelivery: false);

        var message = act.Should().Throw<ArgumentException>().WithMessage("*ApiKey*character*").Which.Message;
        message.Should().NotContain(apiKey.Trim()).And.NotContain("\r").And.NotContain("\n");
    }

    [Theory]
    [InlineData("abcXYZ0189")]
    [InlineData("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")]
    public void Constructor_ApiKeyOfPrintableAscii_Accepts(string apiKey)
    {
        var options = Options(o => o.ApiKey = apiKey);

        GrowlyticsSdk.Configuration.OptionsValidation.Validate(options).Should().BeEmpty();
        ShouldAcceptCalls(options);
    }

    [Fact]
    public void Validate_EveryCharacterOutsidePrintableAscii_IsRefused()
    {
        for (var c = 0; c <= 0x2FF; c++)
        {
            var expected = c is >= 0x21 and <= 0x7E;
            var options = new GrowlyticsOptions { ApiKey = "k" + (char)c + "k" };

            GrowlyticsSdk.Configuration.OptionsValidation.Validate(options).Should().HaveCount(expected ? 0 : 1, "character U+{0:X4} is {1}", c, expected ? "allowed" : "refused");
        }
    }

    /// <summary>The client builds from the options and queues what the app sends.</summary>
    private static void ShouldAcceptCalls(GrowlyticsOptions options)
    {
        using var client = new GrowlyticsClient(options, startDelivery: false);

        client.User.Push(new { plan = "pro" });

        client.Statistics.Enqueued.Should().Be(1);
        client.Statistics.InvalidInputs.Should().Be(0);
    }

    private static GrowlyticsOptions Options(Action<GrowlyticsOptions> configure)
    {
        var options = new GrowlyticsOptions { ApiKey = Key, FlushOnProcessExit = false };
        configure(options);
        return options;
    }
}
