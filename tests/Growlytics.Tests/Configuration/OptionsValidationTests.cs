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

    // Each ranged option's documented bounds (README's Options table, the options' XML docs), and a step beyond each:
    // the least a TimeSpan or a number can differ by.
    public static TheoryData<string, object, bool> Bounds()
    {
        var data = new TheoryData<string, object, bool>();
        Int(nameof(GrowlyticsOptions.MaxQueueSize), 1, 10_000_000);
        Int(nameof(GrowlyticsOptions.MaxConcurrentRequests), 0, 256);
        Long(nameof(GrowlyticsOptions.MaxQueueBytes), 64 * 1024, 16L * 1024 * 1024 * 1024);
        Int(nameof(GrowlyticsOptions.MaxBatchSize), 1, 10_000);
        Int(nameof(GrowlyticsOptions.MaxBatchBytes), 1024, 100 * 1024 * 1024);
        Int(nameof(GrowlyticsOptions.MaxRetryAttempts), 0, 100);
        Time(nameof(GrowlyticsOptions.FlushInterval), TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        Time(nameof(GrowlyticsOptions.RequestTimeout), TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        Time(nameof(GrowlyticsOptions.RetryBaseDelay), TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(10));
        Time(nameof(GrowlyticsOptions.MaxRetryDelay), TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        Time(nameof(GrowlyticsOptions.RetryBudget), TimeSpan.FromMilliseconds(10), TimeSpan.FromDays(1));
        Time(nameof(GrowlyticsOptions.CircuitBreakDuration), TimeSpan.FromMilliseconds(500), TimeSpan.FromDays(1));
        Time(nameof(GrowlyticsOptions.ShutdownTimeout), TimeSpan.Zero, TimeSpan.FromMinutes(10));
        Time(nameof(GrowlyticsOptions.StorageCommitInterval), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10));
        Long(nameof(GrowlyticsOptions.MaxStorageBytes), 64 * 1024, 10L * 1024 * 1024 * 1024);
        Time(nameof(GrowlyticsOptions.MaxStorageAge), TimeSpan.FromMinutes(1), TimeSpan.FromDays(365));
        Time(nameof(GrowlyticsOptions.AnonymousAttributeRetention), TimeSpan.FromMinutes(1), TimeSpan.FromDays(1));
        Int(nameof(GrowlyticsOptions.MaxHeldAnonymousSessions), 1, 1_000_000);
        return data;

        void Int(string name, int min, int max) => Add(name, min - 1, min, max, max + 1);

        void Long(string name, long min, long max) => Add(name, min - 1, min, max, max + 1);

        void Time(string name, TimeSpan min, TimeSpan max) => Add(name, min - TimeSpan.FromTicks(1), min, max, max + TimeSpan.FromTicks(1));

        void Add(string name, object below, object min, object max, object above)
        {
            data.Add(name, below, false);
            data.Add(name, min, true);
            data.Add(name, max, true);
            data.Add(name, above, false);
        }
    }

    [Theory]
    [MemberData(nameof(Bounds))]
    public void Validate_RangedOption_TakesItsDocumentedBoundsAndRefusesAStepBeyond(string option, object value, bool taken)
    {
        var options = Options(o => typeof(GrowlyticsOptions).GetProperty(option)!.SetValue(o, value));

        var errors = GrowlyticsSdk.Configuration.OptionsValidation.Validate(options)
            .Where(e => e.StartsWith($"GrowlyticsOptions.{option} must be between ", StringComparison.Ordinal))
            .ToList();

        if (taken)
        {
            errors.Should().BeEmpty("{0} = {1} is within the documented range", option, value);
        }
        else
        {
            errors.Should().ContainSingle("{0} = {1} is beyond the documented range", option, value)
                .Which.Should().EndWith(string.Format(System.Globalization.CultureInfo.InvariantCulture, "(it is {0}).", value)).And.NotContain(Key);
        }
    }

    [Fact]
    public void Defaults_AreTheDocumentedValues_AndValid()
    {
        var options = new GrowlyticsOptions();

        options.ApiKey.Should().BeNull();
        options.Endpoint.Should().Be(new Uri("https://dcqs-india.growlytics.in/"));
        options.Protocol.Should().Be(GrowlyticsProtocol.Rest);
        options.MaxQueueSize.Should().Be(100_000);
        options.MaxQueueBytes.Should().Be(64L * 1024 * 1024);
        options.QueueOverflowPolicy.Should().Be(QueueOverflowPolicy.DropNewest);
        options.MaxConcurrentRequests.Should().Be(0);
        options.MaxBatchSize.Should().Be(100);
        options.MaxBatchBytes.Should().Be(512_000);
        options.FlushInterval.Should().Be(TimeSpan.FromSeconds(5));
        options.RequestTimeout.Should().Be(TimeSpan.FromSeconds(10));
        options.MaxRetryAttempts.Should().Be(6);
        options.RetryBaseDelay.Should().Be(TimeSpan.FromMilliseconds(100));
        options.MaxRetryDelay.Should().Be(TimeSpan.FromSeconds(30));
        options.RetryBudget.Should().Be(TimeSpan.FromMinutes(2));
        options.CircuitBreakDuration.Should().Be(TimeSpan.FromSeconds(15));
        options.ShutdownTimeout.Should().Be(TimeSpan.FromSeconds(5));
        options.InvalidInputHandling.Should().Be(InvalidInputHandling.Throw);
        options.StorageDirectory.Should().BeNull();
        options.StorageCommitInterval.Should().Be(TimeSpan.FromMilliseconds(200));
        options.MaxStorageBytes.Should().Be(50L * 1024 * 1024);
        options.MaxStorageAge.Should().Be(TimeSpan.FromDays(3));
        options.SessionMode.Should().Be(SessionMode.ProcessWide);
        options.FlushOnProcessExit.Should().BeTrue();
        options.TimeProvider.Should().BeSameAs(TimeProvider.System);
        (options.LoggerFactory, options.HttpClient).Should().Be((null, null));
        GrowlyticsSdk.Configuration.OptionsValidation.Validate(Options(_ => { })).Should().BeEmpty();
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest, 0, GrowlyticsOptions.DefaultRestConcurrency)]
    [InlineData(GrowlyticsProtocol.Batch, 0, GrowlyticsOptions.DefaultBatchConcurrency)]
    [InlineData(GrowlyticsProtocol.Rest, 1, 1)]
    [InlineData(GrowlyticsProtocol.Batch, 256, 256)]
    public void MaxConcurrentRequests_ZeroIsTheProtocolsDefault_AnotherValueIsItself(GrowlyticsProtocol protocol, int configured, int inForce)
    {
        var options = Options(o =>
        {
            o.Protocol = protocol;
            o.MaxConcurrentRequests = configured;
        });

        options.EffectiveMaxConcurrentRequests.Should().Be(inForce);
        (GrowlyticsOptions.DefaultRestConcurrency, GrowlyticsOptions.DefaultBatchConcurrency).Should().Be((32, 8), "as documented");
    }

    // Settings code can give that no client can use: refused by name, as an ArgumentException, before anything runs (not a
    // NullReferenceException at the call, nor a background thread that fails, nor a value taken for another).
    private static readonly Dictionary<string, Action<GrowlyticsOptions>> Unusable = new()
    {
        ["Endpoint null"] = o => o.Endpoint = null!,
        ["Endpoint relative"] = o => o.Endpoint = new Uri("/collector/", UriKind.Relative),
        ["Protocol"] = o => o.Protocol = (GrowlyticsProtocol)2,
        ["QueueOverflowPolicy"] = o => o.QueueOverflowPolicy = (QueueOverflowPolicy)9,
        ["InvalidInputHandling"] = o => o.InvalidInputHandling = (InvalidInputHandling)9,
        ["SessionMode"] = o => o.SessionMode = (SessionMode)9,
        ["TimeProvider"] = o => o.TimeProvider = null!,
    };

    [Theory]
    [InlineData("Endpoint null", "Endpoint must be an absolute URI")]
    [InlineData("Endpoint relative", "Endpoint must be an absolute URI")]
    [InlineData("Protocol", "Protocol is not a defined value")]
    [InlineData("QueueOverflowPolicy", "QueueOverflowPolicy is not a defined value")]
    [InlineData("InvalidInputHandling", "InvalidInputHandling is not a defined value")]
    [InlineData("SessionMode", "SessionMode is not a defined value")]
    [InlineData("TimeProvider", "TimeProvider must not be null")]
    public void Constructor_SettingNoClientCanUse_ThrowsArgumentExceptionNamingIt(string @case, string rule)
    {
        var act = () => new GrowlyticsClient(Options(Unusable[@case]), startDelivery: false);

        act.Should().Throw<ArgumentException>().WithMessage($"*GrowlyticsOptions.{rule}*").Which.Message.Should().NotContain(Key);
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
