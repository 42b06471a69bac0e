using System.Diagnostics;
using System.Net;
using GrowlyticsSdk.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>
/// The SDK's own HTTP in a host: through <c>AddGrowlytics</c> and <c>IHttpClientFactory</c>, with the real logging
/// pipeline at Trace, no log line carries the API key and none comes from the HTTP client's request logging; no
/// trace-context header reaches the collector while an <see cref="Activity"/> is current. (This project runs on the
/// ASP.NET Core shared framework, whose Microsoft.Extensions.Http redacts header values by default; the redaction of the
/// key with the pinned 8.0.1 package is tested in Growlytics.Tests, DependencyInjection/HttpClientLoggingTests.)
/// </summary>
public sealed class HttpQuietnessTests : IAsyncLifetime, IDisposable
{
    private const string Key = "quiet-test-key-80417";
    private const string HttpClientCategory = "System.Net.Http.HttpClient";
    private readonly RecordingLoggerProvider _logs = new();
    private RecordingServer _collector = null!;

    public async Task InitializeAsync() => _collector = await RecordingServer.StartAsync(IPAddress.Loopback);

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    public void Dispose() => _logs.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AddGrowlytics_TraceLogging_NoRequestLogLinesAndNoKey(bool appLogsEveryHttpClient)
    {
        var services = Services();
        if (appLogsEveryHttpClient)
        {
            services.ConfigureHttpClientDefaults(b => b.AddDefaultLogger());
        }

        services.AddGrowlytics(Configure);

        await SendThroughContainerAsync(services);

        _collector.Requests.Should().NotBeEmpty().And.OnlyContain(r => r.Headers["x-growlytics-key"] == Key);
        _logs.Lines.Should().NotContain(l => l.Category.StartsWith(HttpClientCategory, StringComparison.Ordinal), "the SDK's own HTTP writes no per-request logs");
        _logs.Lines.Should().NotContain(l => l.Text.Contains(Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddGrowlytics_AppAddsTheRequestLogBack_NeitherItsTextNorItsStructuredValuesHoldTheKey()
    {
        // The app turns Microsoft.Extensions.Http's request logging back on for the SDK's client, at Trace (headers): the
        // factory redacts a header in the formatted text only, while a sink that writes the structured values (JSON
        // console, OpenTelemetry) would write the raw header. The key is added inside the factory's loggers instead.
        var services = Services();
        services.AddGrowlytics(Configure).AddDefaultLogger();

        await SendThroughContainerAsync(services);

        _collector.Requests.Should().NotBeEmpty().And.OnlyContain(r => r.Headers["x-growlytics-key"] == Key);
        _logs.Lines.Should().Contain(l => l.Category.StartsWith(HttpClientCategory, StringComparison.Ordinal) && l.EventId.Name == "RequestHeader", "the app's request log is on, headers included");
        _logs.Lines.Should().NotContain(l => l.Text.Contains(Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddGrowlytics_PrimaryHandlerReplacedAfterTheSdkConfiguredIt_TheKeyIsSentAnywayAndTheLogSaysSo()
    {
        // An app's own post-configuration, registered after AddGrowlytics, replaces the primary handler the SDK wrapped.
        var services = Services();
        services.AddGrowlytics(Configure);
        services.PostConfigure<HttpClientFactoryOptions>(GrowlyticsClient.HttpClientName, o =>
            o.HttpMessageHandlerBuilderActions.Add(static b => b.PrimaryHandler = new SocketsHttpHandler { AllowAutoRedirect = false }));

        await SendThroughContainerAsync(services);

        _collector.Requests.Where(r => r.Headers.ContainsKey("x-growlytics-key")).Should().NotBeEmpty()
            .And.OnlyContain(r => r.Headers["x-growlytics-key"] == Key);
        _logs.Lines.Where(l => l.EventId.Id == 5003).Should().ContainSingle("the fallback is reported once");
        _logs.Lines.Should().NotContain(l => l.Text.Contains(Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddGrowlytics_ActivityIsCurrent_NoTraceparentReachesTheCollector()
    {
        using var activity = StartActivity();
        using var tracing = HttpTracing.TraceEveryRequest();
        var services = Services();
        services.AddGrowlytics(Configure);

        await SendThroughContainerAsync(services);

        _collector.Requests.Should().NotBeEmpty().And.OnlyContain(r => !r.Headers.ContainsKey("traceparent") && !r.Headers.ContainsKey("request-id"));
    }

    [Fact]
    public async Task SdkOwnHttpClient_ActivityIsCurrent_NoTraceparentWhileAPlainHandlerSendsOne()
    {
        // The app traces every outgoing request (as OpenTelemetry's HttpClient instrumentation does): an HttpClient then
        // starts an activity per request and sends its trace context, whatever context the request is sent from.
        using var activity = StartActivity();
        using var tracing = HttpTracing.TraceEveryRequest();
        var options = new GrowlyticsOptions();
        Configure(options);
        await using (var client = new GrowlyticsClient(options))
        {
            await PushAndFlushAsync(client);
        }

        var sdkRequests = _collector.Requests;

        // The control: the same flow through an app's plain HttpClient does carry the trace context.
        using var plain = new HttpClient();
        var controlOptions = new GrowlyticsOptions();
        Configure(controlOptions);
        controlOptions.HttpClient = plain;
        await using (var control = new GrowlyticsClient(controlOptions))
        {
            await PushAndFlushAsync(control);
        }

        sdkRequests.Should().NotBeEmpty().And.OnlyContain(r => !r.Headers.ContainsKey("traceparent"));
        _collector.Requests.Skip(sdkRequests.Count).Should().NotBeEmpty().And.OnlyContain(r => r.Headers.ContainsKey("traceparent"));
    }

    [Fact]
    public async Task SdkOwnHttpClient_SendsOnlyTheHeadersItNeeds()
    {
        var options = new GrowlyticsOptions();
        Configure(options);
        await using (var client = new GrowlyticsClient(options))
        {
            await PushAndFlushAsync(client);
        }

        // No Accept-Encoding: the answers are small and read as sent, so nothing asks the service to compress them.
        _collector.Requests.Should().NotBeEmpty().And.OnlyContain(r =>
            r.Headers.Keys.Order(StringComparer.OrdinalIgnoreCase).SequenceEqual(
                new[] { "Content-Encoding", "Content-Length", "Content-Type", "Host", "User-Agent", "x-growlytics-key" }.Order(StringComparer.OrdinalIgnoreCase),
                StringComparer.OrdinalIgnoreCase));
    }

    private static Activity StartActivity()
    {
        var activity = new Activity("app-request");
        activity.SetIdFormat(ActivityIdFormat.W3C);
        return activity.Start();
    }

    private static async Task PushAndFlushAsync(GrowlyticsClient client)
    {
        using (client.BeginScope())
        {
            for (var i = 0; i < 3; i++)
            {
                client.User.Push(Number(i));
            }
        }

        await FlushAsync(client);
        client.Statistics.Delivered.Should().Be(3);
    }

    private static async Task SendThroughContainerAsync(ServiceCollection services)
    {
        await using var provider = services.BuildServiceProvider();
        await PushAndFlushAsync(provider.GetRequiredService<GrowlyticsClient>());
    }

    private ServiceCollection Services()
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));
        return services;
    }

    private void Configure(GrowlyticsOptions options)
    {
        options.ApiKey = Key;
        options.Endpoint = _collector.BaseUri;
        options.Protocol = GrowlyticsProtocol.Batch;
        options.FlushInterval = TimeSpan.FromMilliseconds(20);
        options.FlushOnProcessExit = false;
    }
}
