using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>
/// The endpoint answers with a redirect, to its own host or to another (a second Kestrel listener on 127.0.0.2):
/// the API key and the body go nowhere but the endpoint, and the messages are counted Rejected, never Delivered.
/// </summary>
public sealed class RedirectTests : IAsyncLifetime, IDisposable
{
    private const int Messages = 5;
    private readonly RecordingLoggerProvider _logs = new();
    private RecordingServer _endpoint = null!;
    private RecordingServer _otherHost = null!;

    public async Task InitializeAsync()
    {
        _endpoint = await RecordingServer.StartAsync(IPAddress.Loopback);
        _otherHost = await RecordingServer.StartAsync(IPAddress.Parse("127.0.0.2"));
    }

    public void Dispose() => _logs.Dispose();

    public async Task DisposeAsync()
    {
        await _endpoint.DisposeAsync();
        await _otherHost.DisposeAsync();
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task Send_RedirectToOtherHost_NothingReachesItAndMessagesAreRejected(int status)
    {
        RedirectTo(status, new Uri(_otherHost.BaseUri, "steal/events?token=tok-9431"));
        await using var client = new GrowlyticsClient(Options());

        await PushAndFlushAsync(client);

        _otherHost.Requests.Should().BeEmpty("the key and the body go only to the configured endpoint");
        ShouldBeRejectedWithoutRetry(client, status);
        var refusals = _logs.Lines.Where(l => l.EventId.Id == 5001).ToList();
        refusals.Should().NotBeEmpty().And.OnlyContain(l => l.Text.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture)) && l.Text.Contains("127.0.0.2"));
        ShouldNotLogTheKeyOrTheLocation();
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task Send_RedirectToSameHost_NotFollowedAndMessagesAreRejected(int status)
    {
        _endpoint.Respond = context =>
        {
            context.Response.StatusCode = status;
            context.Response.Headers.Location = "/moved/sdk-batch?token=tok-9431";
            return Task.CompletedTask;
        };
        await using var client = new GrowlyticsClient(Options());

        await PushAndFlushAsync(client);

        _endpoint.Requests.Should().OnlyContain(r => r.PathAndQuery == "/events/sdk-batch", "the redirect is not followed");
        ShouldBeRejectedWithoutRetry(client, status);
        ShouldNotLogTheKeyOrTheLocation();
    }

    [Theory]
    [InlineData(307)]
    [InlineData(308)]
    [InlineData(302)]
    public async Task Send_RedirectThroughHttpClientFactory_NothingReachesTheOtherHost(int status)
    {
        RedirectTo(status, new Uri(_otherHost.BaseUri, "steal/events?token=tok-9431"));
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));
        services.AddGrowlytics(o => Configure(o));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<GrowlyticsClient>();

        using (client.BeginScope())
        {
            await PushAndFlushAsync(client);
        }

        _otherHost.Requests.Should().BeEmpty();
        ShouldBeRejectedWithoutRetry(client, status);
        ShouldNotLogTheKeyOrTheLocation();
    }

    // A primary handler the app wraps in a handler of its own (a DelegatingHandler) is hardened too: the handler that
    // follows redirects is the one at the end of the chain.
    [Theory]
    [InlineData(307)]
    [InlineData(302)]
    public async Task Send_RedirectThroughHttpClientFactory_WithAWrappedPrimaryHandler_NothingReachesTheOtherHost(int status)
    {
        RedirectTo(status, new Uri(_otherHost.BaseUri, "steal/events?token=tok-9431"));
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));
        services.AddGrowlytics(o => Configure(o))
            .ConfigurePrimaryHttpMessageHandler(() => new PassThrough(new PassThrough(new SocketsHttpHandler())));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<GrowlyticsClient>();

        using (client.BeginScope())
        {
            await PushAndFlushAsync(client);
        }

        _otherHost.Requests.Should().BeEmpty("the key and the body go only to the configured endpoint");
        ShouldBeRejectedWithoutRetry(client, status);
        ShouldNotLogTheKeyOrTheLocation();
    }

    [Theory]
    [InlineData(302)]
    [InlineData(307)]
    public async Task Send_CallerHttpClientFollowsRedirect_CountedRejectedNotDeliveredAndWarnedOnce(int status)
    {
        RedirectTo(status, new Uri(_otherHost.BaseUri, "steal/events?token=tok-9431"));
        using var following = new HttpClient();
        await using var client = new GrowlyticsClient(Options(o => o.HttpClient = following));

        await PushAndFlushAsync(client);
        await PushAndFlushAsync(client);

        // The app's handler followed it (the SDK cannot change that handler); the answer it got is not a delivery.
        _otherHost.Requests.Should().NotBeEmpty("this HttpClient follows redirects: the SDK detects it afterwards");
        var statistics = client.Statistics;
        statistics.Delivered.Should().Be(0);
        statistics.DroppedByReason[DropReason.Rejected].Should().Be(2 * Messages);
        statistics.Retried.Should().Be(0);
        _logs.Lines.Where(l => l.EventId.Id == 5002).Should().ContainSingle("the warning is given once")
            .Which.Text.Should().Contain("127.0.0.2");
        ShouldNotLogTheKeyOrTheLocation();
    }

    [Theory]
    [InlineData(302)]
    [InlineData(307)]
    public async Task Send_CallerHttpClientFollowsRedirectToAHostThatFails_NotRetriedAndWarned(int status)
    {
        // The redirect target reads the request (the key has reached it) and drops the connection without an answer.
        RedirectTo(status, new Uri(_otherHost.BaseUri, "steal/events?token=tok-9431"));
        _otherHost.Respond = context =>
        {
            context.Abort();
            return Task.CompletedTask;
        };
        using var following = new HttpClient();
        await using var client = new GrowlyticsClient(Options(o => o.HttpClient = following));

        await PushAndFlushAsync(client);

        _otherHost.Requests.Should().ContainSingle("a followed redirect is refused and never retried: every retry sends the key there again");
        var statistics = client.Statistics;
        statistics.DroppedByReason[DropReason.Rejected].Should().Be(Messages);
        statistics.Retried.Should().Be(0);
        _logs.Lines.Where(l => l.EventId.Id == 5002).Should().ContainSingle();
    }

    private void RedirectTo(int status, Uri location) => _endpoint.Respond = context =>
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Location = location.AbsoluteUri;
        return Task.CompletedTask;
    };

    private GrowlyticsOptions Options(Action<GrowlyticsOptions>? configure = null)
    {
        var options = new GrowlyticsOptions();
        Configure(options);
        options.LoggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));
        configure?.Invoke(options);
        return options;
    }

    private void Configure(GrowlyticsOptions options) => BatchClientSetup.Configure(options, _endpoint.BaseUri, "redirect-test-key-5521");

    private static Task PushAndFlushAsync(GrowlyticsClient client) => BatchClientSetup.PushAndFlushAsync(client, Messages);

    private void ShouldBeRejectedWithoutRetry(GrowlyticsClient client, int status)
    {
        var statistics = client.Statistics;
        statistics.Delivered.Should().Be(0, "a {0} is not a delivery", status);
        statistics.DroppedByReason[DropReason.Rejected].Should().Be(Messages);
        statistics.Pending.Should().Be(0);
        statistics.Retried.Should().Be(0, "a redirect is not retried");
        _endpoint.Requests.Should().HaveCountLessThanOrEqualTo(Messages).And.OnlyContain(r => r.Method == "POST");
    }

    private void ShouldNotLogTheKeyOrTheLocation()
    {
        _logs.Lines.Should().NotBeEmpty();
        _logs.Lines.Should().NotContain(l => l.Text.Contains("redirect-test-key-5521"), "the API key is never logged");
        _logs.Lines.Should().NotContain(l => l.Text.Contains("tok-9431") || l.Text.Contains("steal"), "only the Location host is logged");
    }

    private sealed class PassThrough(HttpMessageHandler inner) : DelegatingHandler(inner);
}
