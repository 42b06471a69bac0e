using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// With the pinned Microsoft.Extensions.Http 8.0.1, which logs request header values in clear at Trace: through
/// <c>AddGrowlytics</c> and <c>IHttpClientFactory</c>, and the real logging pipeline at Trace, no log line carries the
/// API key. If the app turns the HTTP client's request logging back on, the key is in neither the written message nor
/// the structured header values (which Microsoft.Extensions.Http, 8.0.1 and the 10.0 shared framework alike, never
/// redacts): the SDK adds the header right before the primary handler, inside the factory's loggers.
/// </summary>
public sealed class HttpClientLoggingTests : IDisposable
{
    private const string Key = "logging-test-key-60913";
    private readonly LoopbackListener _server = new();
    private readonly LineRecorder _logs = new();

    public void Dispose()
    {
        _server.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task AddGrowlytics_TraceLogging_NoHttpClientLinesAndNoKey()
    {
        var services = Services();
        services.ConfigureHttpClientDefaults(b => b.AddDefaultLogger());
        services.AddGrowlytics(Configure);

        await SendAsync(services);

        _server.Requests.Should().NotBeEmpty().And.OnlyContain(r => r["x-growlytics-key"] == Key);
        _logs.Lines.Should().NotContain(l => l.Category.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal), "the SDK's own HTTP writes no per-request logs");
        _logs.Lines.Should().NotContain(l => l.Text.Contains(Key, StringComparison.Ordinal) || l.State.Contains(Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddGrowlytics_AppAddsRequestLoggingBack_TheKeyIsInNeitherTheMessageNorTheStructuredValues()
    {
        var services = Services();
        services.AddGrowlytics(Configure).AddDefaultLogger();

        // The control: the same logging on another client writes the header value in clear at Trace with this package, in
        // the message and in the structured values, so the scan below would find the key if the SDK's client logged it.
        services.AddHttpClient("control").AddDefaultLogger();

        await SendAsync(services, async provider =>
        {
            using var control = provider.GetRequiredService<IHttpClientFactory>().CreateClient("control");
            using var request = new HttpRequestMessage(HttpMethod.Post, _server.BaseUri);
            request.Headers.TryAddWithoutValidation("x-growlytics-key", "control-key-3318");
            using var response = await control.SendAsync(request);
        });

        _logs.Lines.Should().Contain(l => l.Text.Contains("control-key-3318", StringComparison.Ordinal), "this package logs header values at Trace");
        _logs.Lines.Should().Contain(l => l.State.Contains("control-key-3318", StringComparison.Ordinal), "and puts them in the structured values, unredacted");
        _logs.Lines.Should().Contain(l => l.Category.StartsWith("System.Net.Http.HttpClient.Growlytics", StringComparison.Ordinal) && l.Text.Contains("User-Agent", StringComparison.OrdinalIgnoreCase), "the SDK's request headers are logged");
        _logs.Lines.Should().NotContain(l => l.Text.Contains(Key, StringComparison.Ordinal) || l.State.Contains(Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddGrowlytics_AppSetsItsOwnRedactionList_TheKeyIsStillNotLogged()
    {
        var services = Services();
        services.AddGrowlytics(Configure).AddDefaultLogger().RedactLoggedHeaders(["Authorization"]);

        await SendAsync(services);

        _logs.Lines.Should().Contain(l => l.Category.StartsWith("System.Net.Http.HttpClient.Growlytics", StringComparison.Ordinal) && l.Text.Contains("User-Agent", StringComparison.OrdinalIgnoreCase));
        _logs.Lines.Should().NotContain(l => l.Text.Contains(Key, StringComparison.Ordinal) || l.State.Contains(Key, StringComparison.Ordinal));
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

    private static async Task SendAsync(ServiceCollection services, Func<IServiceProvider, Task>? alsoSend = null)
    {
        await using var provider = services.BuildServiceProvider();
        if (alsoSend is not null)
        {
            await alsoSend(provider);
        }

        var client = provider.GetRequiredService<GrowlyticsClient>();
        using (client.BeginScope())
        {
            client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        }

        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        client.Statistics.Delivered.Should().Be(1);
    }

    /// <summary>A log line: <see cref="Text"/> is what a text sink writes (message, exception, scopes); <see cref="State"/> the structured values.</summary>
    private sealed record Line(string Category, LogLevel Level, string Text, string State);

    /// <summary>Keeps every line at every level, with its structured values and scopes, for the real logging pipeline.</summary>
    private sealed class LineRecorder : ILoggerProvider, ISupportExternalScope
    {
        private readonly ConcurrentQueue<Line> _lines = new();
        private IExternalScopeProvider? _scopes;

        public IReadOnlyList<Line> Lines => [.. _lines];

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(LineRecorder owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => owner._scopes?.Push(state);

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var text = formatter(state, exception) + " " + exception;
                owner._scopes?.ForEachScope((scope, _) => text += " scope:" + scope, state);
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                    ? string.Join(" ", pairs.Select(v => v.Key + "=" + (v.Value is IEnumerable<object> items ? string.Join(",", items) : v.Value)))
                    : string.Empty;
                owner._lines.Enqueue(new Line(category, logLevel, text, values));
            }
        }
    }
}
