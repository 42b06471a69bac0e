using System.Net;
using System.Text;
using System.Text.Json;
using GrowlyticsSdk.TestSupport;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// Hot customers or sessions with large backlogs next to many light ones (one call each), measured in requests: the light
/// ones' calls are read and sent within a few requests, not behind the backlogs, with either protocol.
/// </summary>
public sealed class HotUserFairnessTests
{
    private const int Hot = 50_000;
    private const int Light = 100;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
    private readonly ITestOutputHelper _output;

    public HotUserFairnessTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest)]
    [InlineData(GrowlyticsProtocol.Batch)]
    public async Task TwoHotBacklogsAndOneSlot_LightUsersAreReadAndGoWithinAFewRequests(GrowlyticsProtocol protocol)
    {
        // One request at a time (MaxConcurrentRequests = 1, or what 429s and Retry-After halve the limit to): while one hot
        // user's request is on the wire, the other's partition is ready, with a stage's worth or more staged.
        var collector = new KeyCollector();
        var client = NewClient(collector, protocol, o => o.MaxConcurrentRequests = 1, startDelivery: false);
        await using var shutdown = ShutDownDriving(client);
        for (var i = 0; i < Hot / 2; i++)
        {
            Push(client, protocol, "hot-1");
        }

        for (var i = 0; i < Hot / 2; i++)
        {
            Push(client, protocol, "hot-2");
        }

        for (var i = 0; i < Light; i++)
        {
            Push(client, protocol, "light-" + i);
        }

        client.Dispatcher.Start();
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => collector.LightSeen == Light || flush.IsCompleted);
        _output.WriteLine($"hot messages sent before the last light one: {collector.HotBeforeLastLight}");
        collector.LightSeen.Should().Be(Light);

        // Read a stage's worth a turn, the light calls are staged after a few turns and go in their turn, the hot users'
        // next requests behind them (4 to 20 hot requests in the runs measured). Before, with Batch, the loop read nothing more
        // while the ready hot partition held a stage (6,400 messages), so they waited for 37,700 hot messages.
        collector.HotBeforeLastLight.Should().BeLessThan(
            protocol == GrowlyticsProtocol.Rest ? 1_000 : 10_000,
            "the light users' calls must not stay unread until a hot user's staged backlog is down to a stage");
        await DriveUntilAsync(() => flush.IsCompleted);
        client.Statistics.Delivered.Should().Be(Hot + Light);
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest)]
    [InlineData(GrowlyticsProtocol.Batch)]
    public async Task HotBacklogInRetry_LightUsersGoWhileItWaits(GrowlyticsProtocol protocol)
    {
        var collector = new KeyCollector { FailHot = true };
        var client = NewClient(collector, protocol, o =>
        {
            o.RetryBaseDelay = TimeSpan.FromMinutes(10);
            o.MaxRetryDelay = TimeSpan.FromMinutes(10);
        });
        await using var shutdown = ShutDownDriving(client);
        for (var i = 0; i < Hot; i++)
        {
            Push(client, protocol, "hot-1");
        }

        for (var i = 0; i < Light; i++)
        {
            Push(client, protocol, "light-" + i);
        }

        // The fake clock stands still: the hot user's first request waits out its backoff meanwhile.
        var flush = client.FlushAsync();
        await DeliveryHarnessWaitAsync(() => collector.LightSeen == Light);
        collector.HotRequests.Should().Be(1, "the hot user's later messages wait behind its first request's retry");

        collector.FailHot = false;
        _time.Advance(TimeSpan.FromMinutes(10));
        await DriveUntilAsync(() => flush.IsCompleted);
        client.Statistics.Delivered.Should().Be(Hot + Light);
    }

    private GrowlyticsClient NewClient(KeyCollector collector, GrowlyticsProtocol protocol, Action<GrowlyticsOptions>? configure = null, bool startDelivery = true)
    {
        var options = new GrowlyticsOptions
        {
            ApiKey = "test-key",
            Protocol = protocol,
            Endpoint = new Uri("http://127.0.0.1:9/"),
            HttpClient = new HttpClient(collector),
            TimeProvider = _time,
            RequestTimeout = TimeSpan.FromMinutes(10),
            RetryBudget = TimeSpan.FromHours(1),
            FlushOnProcessExit = false,
        };
        configure?.Invoke(options);
        return new GrowlyticsClient(options, startDelivery);
    }

    private static void Push(GrowlyticsClient client, GrowlyticsProtocol protocol, string key)
    {
        var attributes = new Dictionary<string, object?> { ["k"] = key };
        if (protocol == GrowlyticsProtocol.Rest)
        {
            client.Customers.Update(key, attributes);
            return;
        }

        using (client.BeginScope(key))
        {
            client.User.Push(attributes);
        }
    }

    // Shuts the client down at the end of the test, also after a failed assertion, while the fake clock moves (the
    // shutdown's deadline runs on it: standing still, it would wait for ever for the hot backlog).
    private Shutdown ShutDownDriving(GrowlyticsClient client) => new Shutdown(this, client);

    private sealed class Shutdown(HotUserFairnessTests test, GrowlyticsClient client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            var shutdown = client.ShutdownAsync();
            await test.DriveUntilAsync(() => shutdown.IsCompleted);
            await shutdown;
            await client.DisposeAsync();
        }
    }

    private static Task DeliveryHarnessWaitAsync(Func<bool> condition) => TestSupport.DeliveryHarness.WaitUntilAsync(condition);

    private async Task DriveUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Condition not met.");
            }

            _time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(2);
        }
    }

    /// <summary>
    /// Answers at once (503 to a request with a hot user's message while <see cref="FailHot"/> holds), counting the hot
    /// users' messages sent before each light one, in the order requests arrive.
    /// </summary>
    private sealed class KeyCollector : HttpMessageHandler
    {
        private readonly object _gate = new();
        private int _hot;
        private int _hotRequests;
        private int _light;
        private int _hotBeforeLastLight;

        public volatile bool FailHot;

        public int LightSeen
        {
            get
            {
                lock (_gate)
                {
                    return _light;
                }
            }
        }

        public int HotBeforeLastLight
        {
            get
            {
                lock (_gate)
                {
                    return _hotBeforeLastLight;
                }
            }
        }

        public int HotRequests
        {
            get
            {
                lock (_gate)
                {
                    return _hotRequests;
                }
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream();
            request.Content!.CopyTo(stream, null, cancellationToken);
            var keys = KeysOf(request, stream.ToArray());
            var hot = keys.Any(k => k.StartsWith("hot", StringComparison.Ordinal));
            lock (_gate)
            {
                _hotRequests += hot ? 1 : 0;
                foreach (var key in keys)
                {
                    if (key.StartsWith("hot", StringComparison.Ordinal))
                    {
                        _hot++;
                    }
                    else
                    {
                        _light++;
                        _hotBeforeLastLight = _hot;
                    }
                }
            }

            return Task.FromResult(FailHot && hot
                ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"success\":true}", Encoding.UTF8, "application/json") });
        }

        private static List<string> KeysOf(HttpRequestMessage request, byte[] body)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("rest-api/customer", StringComparison.Ordinal))
            {
                using var doc = JsonDocument.Parse(body);
                return [doc.RootElement.GetProperty("id").GetString()!];
            }

            return WireBody.BatchMessages(body).Select(m => m.GetProperty("attributes")[0].GetProperty("value").GetString()!).ToList();
        }
    }
}
