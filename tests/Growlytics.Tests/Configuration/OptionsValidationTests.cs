namespace GrowlyticsSdk.Tests.Configuration;

public sealed class OptionsValidationTests
{
    private const string Key = "secret-key-7f3a";

    [Theory]
    [InlineData("https://api.growlytics.in/")]
    [InlineData("https://collector.example.com/growlytics/")]
    [InlineData("http://127.0.0.1:5080/")]
    [InlineData("http://localhost:5080/")]
    [InlineData("http://[::1]:5080/")]
    public void Constructor_AllowedEndpoint_Accepts(string endpoint)
    {
        using var client = new GrowlyticsClient(Options(o => o.Endpoint = new Uri(endpoint)), startDelivery: false);

        client.Statistics.Enqueued.Should().Be(0);
    }

    [Theory]
    [InlineData("http://api.growlytics.in/", "https")]
    [InlineData("http://10.0.0.5/", "https")]
    [InlineData("https://api.growlytics.in/?tenant=1", "query string")]
    [InlineData("https://api.growlytics.in/#x", "fragment")]
    public void Constructor_RejectedEndpoint_ThrowsNamingTheRule(string endpoint, string rule)
    {
        var act = () => new GrowlyticsClient(Options(o => o.Endpoint = new Uri(endpoint)), startDelivery: false);

        act.Should().Throw<ArgumentException>()
            .WithMessage($"*Endpoint*{rule}*")
            .Which.Message.Should().NotContain(Key);
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

    [Fact]
    public void Constructor_MissingApiKey_SaysWhereToSetIt()
    {
        var act = () => new GrowlyticsClient(Options(o => o.ApiKey = " "), startDelivery: false);

        act.Should().Throw<ArgumentException>().WithMessage("*ApiKey is required*");
    }

    private static GrowlyticsOptions Options(Action<GrowlyticsOptions> configure)
    {
        var options = new GrowlyticsOptions { ApiKey = Key, FlushOnProcessExit = false };
        configure(options);
        return options;
    }
}
