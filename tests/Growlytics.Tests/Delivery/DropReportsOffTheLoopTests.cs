using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The drops the delivery loop settles (a refusal, retries run out) are reported to <see cref="GrowlyticsClient.MessageDropped"/>
/// off the loop: a slow handler, or one that waits for <see cref="GrowlyticsClient.FlushAsync"/>, holds only the reports
/// after its own, never delivery. The reports keep the order the loop settled them in, one handler call at a time, and a
/// bounded number wait: beyond it they are summed per reason. The clock is fake; every wait is bounded in real time.
/// </summary>
public sealed class DropReportsOffTheLoopTests
{
    private static readonly TimeSpan RealBound = DeliveryHarness.RealTimeout;

    [Fact]
    public async Task AHandlerHeldOnARefusal_DoesNotHoldTheDeliveryOfOtherCustomers()
    {
        await using var collector = new RestCollector();
        var client = collector.Client();
        using var release = new ManualResetEventSlim();
        var reports = new ConcurrentQueue<MessageDroppedEventArgs>();
        client.MessageDropped += (_, e) =>
        {
            // Stands for a slow handler (one that sleeps a second per refusal): it holds until the test releases it.
            release.Wait(TimeSpan.FromMinutes(1));
            reports.Enqueue(e);
        };

        // 300 customers, every 30th refused: 10 refusals among 290 updates the service takes.
        for (var i = 0; i < 300; i++)
        {
            client.Customers.Update(i % 30 == 0 ? $"refused-{i}" : $"customer-{i}", new Dictionary<string, object?> { [$"a{i}"] = i });
        }

        var flush = client.FlushAsync();
        (await DriveAsync(collector.Time, flush))
            .Should().BeTrue("the handler holds its own reports, not the delivery of the other customers' updates");
        await flush;

        release.IsSet.Should().BeFalse();
        var statistics = client.Statistics;
        (statistics.Delivered, statistics.DroppedByReason[DropReason.Rejected], statistics.Pending).Should().Be((290, 10, 0), "drops are counted as they are settled, before their report");
        reports.Should().BeEmpty("the handler still holds the first report");

        release.Set();
        await FakeClockDriver.WaitUntilAsync(() => reports.Count == 10);
        reports.Should().OnlyContain(e => e.Reason == DropReason.Rejected && e.StatusCode == 422 && e.Count == 1 && e.ErrorType == "string.max");
        reports.Select(e => e.CustomerId).Should().BeEquivalentTo(Enumerable.Range(0, 10).Select(k => $"refused-{k * 30}"));
        reports.Select(e => e.ErrorPath).Should().BeEquivalentTo(Enumerable.Range(0, 10).Select(k => $"attributes.a{k * 30}"));
    }

    [Fact]
    public async Task AHandlerThatBlocksOnFlushAsync_DoesNotStopDelivery()
    {
        await using var collector = new RestCollector();
        var client = collector.Client();
        var flushed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.Rejected && !flushed.Task.IsCompleted)
            {
                // What a handler that must not lose the drop might do; bounded so that a regression fails, not hangs.
                client.Customers.Update("customer-after", new Dictionary<string, object?> { ["after"] = 1 });
                flushed.TrySetResult(client.FlushAsync().Wait(TimeSpan.FromMinutes(1)));
            }
        };

        client.Customers.Update("refused-1", new Dictionary<string, object?> { ["a1"] = 1 });
        client.Customers.Update("customer-2", new Dictionary<string, object?> { ["a2"] = 2 });

        (await DriveAsync(collector.Time, flushed.Task))
            .Should().BeTrue("the flush the handler waits for completes: delivery goes on while it waits");
        (await flushed.Task).Should().BeTrue();
        collector.Delivered.Should().Contain(["customer-2", "customer-after"]);

        // Delivery goes on after it too.
        client.Customers.Update("customer-3", new Dictionary<string, object?> { ["a3"] = 3 });
        var flush = client.FlushAsync();
        (await DriveAsync(collector.Time, flush)).Should().BeTrue();
        client.Statistics.Delivered.Should().Be(3);
    }

    [Fact]
    public async Task ReportsOfOneCustomersRefusals_ComeInTheOrderTheyWereSettled_OneAtATime()
    {
        await using var collector = new RestCollector();
        var client = collector.Client();
        using var release = new ManualResetEventSlim();
        var paths = new ConcurrentQueue<string?>();
        var running = 0;
        var overlapped = 0;
        client.MessageDropped += (_, e) =>
        {
            if (Interlocked.Increment(ref running) > 1)
            {
                Interlocked.Increment(ref overlapped);
            }

            // The first one holds while the others are settled: they wait for it, in order.
            release.Wait(TimeSpan.FromMinutes(1));
            paths.Enqueue(e.ErrorPath);
            Interlocked.Decrement(ref running);
        };

        // One customer's updates are sent one at a time, in call order; each is refused naming its own attribute.
        for (var i = 0; i < 40; i++)
        {
            client.Customers.Update("refused-one", new Dictionary<string, object?> { [$"a{i}"] = i });
        }

        var flush = client.FlushAsync();
        (await DriveAsync(collector.Time, flush)).Should().BeTrue();
        release.Set();
        await FakeClockDriver.WaitUntilAsync(() => paths.Count == 40);

        paths.Should().Equal(Enumerable.Range(0, 40).Select(i => $"attributes.a{i}"));
        Volatile.Read(ref overlapped).Should().Be(0, "handlers are called one at a time");
    }

    [Fact]
    public async Task ReportsWaitingForASlowHandler_AreBounded_TheRestSummedPerReason()
    {
        const int Refused = 1500;
        await using var h = new DeliveryHarness();
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadRequest));
        using var release = new ManualResetEventSlim();
        var events = new ConcurrentQueue<MessageDroppedEventArgs>();
        h.Client.MessageDropped += (_, e) =>
        {
            release.Wait(TimeSpan.FromMinutes(1));
            events.Enqueue(e);
        };

        h.PushMany(Refused);
        await h.FlushAsync();
        h.Client.Statistics.DroppedByReason[DropReason.Rejected].Should().Be(Refused);
        h.Client.PendingDropReports.Should().BeLessThanOrEqualTo(GrowlyticsClient.MaxPendingDropReports);

        release.Set();
        await h.Client.DropsReportedAsync().WaitAsync(RealBound);
        events.Sum(e => (long)e.Count).Should().Be(Refused, "every drop is reported, one by one or summed");
        events.Count(e => e.StatusCode == 400).Should().BeLessThanOrEqualTo(GrowlyticsClient.MaxPendingDropReports + 1, "at most the bound wait, and the one in the handler");
        events.Should().Contain(e => e.Reason == DropReason.Rejected && e.StatusCode == null && e.Count > 1, "those beyond the bound come summed, without details");
    }

    [Fact]
    public async Task Shutdown_WaitsForTheReportsOfTheLoopsDrops()
    {
        await using var collector = new RestCollector();
        var client = collector.Client();
        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reported = 0;
        client.MessageDropped += (_, e) =>
        {
            entered.TrySetResult(true);
            release.Wait(TimeSpan.FromMinutes(1));
            Interlocked.Add(ref reported, e.Count);
        };

        for (var i = 0; i < 5; i++)
        {
            client.Customers.Update($"refused-{i}", new Dictionary<string, object?> { [$"a{i}"] = i });
        }

        var flush = client.FlushAsync();
        (await DriveAsync(collector.Time, flush)).Should().BeTrue();
        await entered.Task.WaitAsync(RealBound);

        // The deadline (fake time) has not passed: the shutdown waits for the handlers.
        var shutdown = client.ShutdownAsync();
        await Task.Delay(100);
        shutdown.IsCompleted.Should().BeFalse("a handler is still reporting the loop's drops");
        release.Set();
        await shutdown.WaitAsync(RealBound);
        Volatile.Read(ref reported).Should().Be(5, "every drop is reported before the shutdown returns");
    }

    // Moves the fake clock 100 ms at a time until task completes, for 20 s of real time at most; whether it completed.
    private static async Task<bool> DriveAsync(FakeTimeProvider time, Task task)
    {
        var real = System.Diagnostics.Stopwatch.StartNew();
        while (!task.IsCompleted && real.Elapsed < RealBound)
        {
            await Task.Delay(5);
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        return task.IsCompleted;
    }

    /// <summary>A REST collector: refuses (422, naming the update's attribute) customers whose id starts with "refused-".</summary>
    private sealed class RestCollector : HttpMessageHandler, IAsyncDisposable
    {
        private readonly ConcurrentQueue<string> _delivered = new();
        private readonly List<GrowlyticsClient> _clients = [];

        public FakeTimeProvider Time { get; } = new(DeliveryHarness.Start);

        public IReadOnlyCollection<string> Delivered => _delivered.ToArray();

        public GrowlyticsClient Client()
        {
            var client = new GrowlyticsClient(new GrowlyticsOptions
            {
                ApiKey = DeliveryHarness.ApiKey,
                Protocol = GrowlyticsProtocol.Rest,
                Endpoint = new Uri("https://collector.test/"),
                HttpClient = new HttpClient(this, disposeHandler: false),
                TimeProvider = Time,
                FlushOnProcessExit = false,
                ShutdownTimeout = TimeSpan.FromSeconds(1),
                RequestTimeout = TimeSpan.FromMinutes(10),
                RetryBudget = TimeSpan.FromHours(1),
            });
            _clients.Add(client);
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var client in _clients)
            {
                await DriveAsync(Time, client.ShutdownAsync());
            }

            Dispose();
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var body = JsonDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken));
            var id = body.RootElement.GetProperty("id").GetString()!;
            if (!id.StartsWith("refused-", StringComparison.Ordinal))
            {
                _delivered.Enqueue(id);
                return new HttpResponseMessage(HttpStatusCode.OK);
            }

            var attribute = body.RootElement.GetProperty("attributes")[0].GetProperty("name").GetString();
            var refusal = "{\"details\":[{\"path\":[\"attributes\",\"" + attribute + "\"],\"type\":\"string.max\"}]}";
            return new HttpResponseMessage(HttpStatusCode.UnprocessableEntity) { Content = new StringContent(refusal, Encoding.UTF8, "application/json") };
        }
    }
}
