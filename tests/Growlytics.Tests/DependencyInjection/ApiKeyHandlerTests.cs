using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// The key handler that <c>AddGrowlytics</c> puts right before the primary handler, with the app's own handlers around
/// it: a handler that sends a copy of the request (options included, as resilience handlers that copy a request per
/// attempt do) or the same request twice gets the key on what it sends, once, and the SDK neither sends the batch again
/// nor falls back to putting the key on the request itself (event 5003).
/// </summary>
public sealed class ApiKeyHandlerTests : IDisposable
{
    private const string Key = "clone-test-key-4711";
    private readonly LoopbackListener _server = new();
    private readonly Recorder _logs = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task AppHandlerSendingACopy_OneDeliveryOneRequest_NoFallback()
    {
        var services = Services();
        services.AddGrowlytics(Configure).AddHttpMessageHandler(() => new CopyingHandler());
        await SendAsync(services);
        Assert();
    }

    [Fact]
    public async Task PrimaryHandlerConfiguredAfterAddGrowlytics_OneDeliveryOneRequest_NoFallback()
    {
        var services = Services();
        services.AddGrowlytics(Configure).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler());
        services.ConfigureHttpClientDefaults(b => b.ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler()));
        await SendAsync(services);
        Assert();
    }

    [Fact]
    public async Task AppPolicyHandlerResendingTheSameRequest_KeyOnce()
    {
        // A handler that sends the same request object twice (as Microsoft.Extensions.Http.Polly's retry does).
        var services = Services();
        services.AddGrowlytics(Configure).AddHttpMessageHandler(() => new TwiceHandler());
        await SendAsync(services);
        _server.Requests.Should().HaveCount(2).And.OnlyContain(r => r["x-growlytics-key"] == Key);
        _logs.Events.Should().NotContain(5003);
    }

    /// <summary>
    /// An app's handler that answers a request itself, without sending it on (a client-side rate limiter's 429, an offline
    /// switch's 503): the request never reached the key handler, which is in the chain. Its answer is taken as it is. It
    /// used to be taken for a request that went out without the key: the SDK warned that the key handler was missing
    /// (event 5003) and put the key on every request itself from then on, where the app's handlers and request logging see it.
    /// </summary>
    [Fact]
    public async Task AppHandlerAnsweringARequestItself_NoFallback_TheAppsHandlersNeverSeeTheKey()
    {
        var keyBeforeTheKeyHandler = new ConcurrentQueue<bool>();
        var answered = new StrongBox<int>();
        var services = Services();
        services.AddGrowlytics(Configure)
            .AddHttpMessageHandler(() => new WatchingHandler(keyBeforeTheKeyHandler))
            .AddHttpMessageHandler(() => new AnsweringFirstHandler(answered));
        await SendAsync(services);

        answered.Value.Should().BeGreaterThan(1, "the first request was answered by the app's handler, a retry went on");
        _server.Requests.Should().ContainSingle().Which["x-growlytics-key"].Should().Be(Key);
        keyBeforeTheKeyHandler.Should().NotBeEmpty().And.OnlyContain(seen => !seen, "the key is added right before the primary handler, never before the app's handlers");
        _logs.Events.Should().NotContain(5003);
    }

    private sealed class WatchingHandler(ConcurrentQueue<bool> keySeen) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            keySeen.Enqueue(request.Headers.Contains("x-growlytics-key"));
            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class AnsweringFirstHandler(StrongBox<int> answered) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref answered.Value) == 1
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request })
                : base.SendAsync(request, cancellationToken);
    }

    private sealed class TwiceHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            (await base.SendAsync(request, cancellationToken)).Dispose();
            return await base.SendAsync(request, cancellationToken);
        }
    }

    private void Assert()
    {
        var summary = $"requests {_server.Requests.Count}, with the key once {_server.Requests.Count(r => r.TryGetValue("x-growlytics-key", out var k) && k == Key)}, events {string.Join(",", _logs.Events)}";
        summary.Should().Be("requests 1, with the key once 1, events " + string.Join(",", _logs.Events.Where(e => e != 5003)), "one message, one delivery with the key, no fallback (5003); got: {0}", summary);
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
        options.Endpoint = _server.BaseUri;
        options.Protocol = GrowlyticsProtocol.Batch;
        options.FlushInterval = TimeSpan.FromMilliseconds(20);
        options.FlushOnProcessExit = false;
    }

    private static async Task SendAsync(ServiceCollection services)
    {
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<GrowlyticsClient>();
        using (client.BeginScope())
        {
            client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        }

        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        client.Statistics.Delivered.Should().Be(1);
    }

    /// <summary>Sends a copy of the request, options and headers included (as RequestMessageSnapshot does).</summary>
    private sealed class CopyingHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            using var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version };
            foreach (var header in request.Headers)
            {
                copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            if (body is not null)
            {
                copy.Content = new ByteArrayContent(body);
                foreach (var header in request.Content!.Headers)
                {
                    copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }

            foreach (var option in request.Options)
            {
                ((IDictionary<string, object?>)copy.Options)[option.Key] = option.Value;
            }

            return await base.SendAsync(copy, cancellationToken);
        }
    }

    private sealed class Recorder : ILoggerProvider
    {
        private readonly ConcurrentQueue<int> _events = new();

        public IReadOnlyList<int> Events => [.. _events];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(Recorder owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) => owner._events.Enqueue(eventId.Id);
        }
    }
}
