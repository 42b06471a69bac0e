using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A burst of one user's messages is staged behind its request in flight, each message in an envelope. The envelopes
/// come back when their messages are delivered and carry the next burst (no new ones), up to a bound; those no read
/// needed for about a minute are let go, down to a few, whether the client is quiet or sends a message now and then.
/// </summary>
public sealed class SpareEnvelopeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Burst_OfOneUser_ItsEnvelopesCarryTheNextBurst_AndThoseNotNeededAreLetGo(bool messageEveryFewSeconds)
    {
        var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = new DeliveryHarness();
        h.Responder = async _ =>
        {
            await gate.Task;
            return new HttpResponseMessage(HttpStatusCode.OK);
        };
        var memory = h.Client.Memory;

        // The first request is held, so the whole burst is read and staged behind it at once.
        h.PushMany(20_000);
        // (The last few, fewer than a batch, are read at the flush interval.)
        await h.AdvanceUntilAsync(() => h.Client.Queue.Unread == 0 && h.Requests.Count >= 1);
        memory.EnvelopesMade.Should().Be(20_000);
        gate.SetResult(true);
        await h.FlushAsync();
        memory.SpareCount.Should().Be(20_000, "every delivered message's envelope is kept for the next");

        h.PushMany(20_000, from: 20_000);
        await h.FlushAsync();
        memory.EnvelopesMade.Should().Be(20_000, "the second burst took every envelope from the spares");
        memory.SpareCount.Should().Be(20_000);

        // Then quiet, or a message every 5 s (each takes a spare and gives it back). Half a minute on, nothing was let go.
        var from = h.Time.GetUtcNow();
        var next = 40_000;
        var lastPush = from;
        async Task AdvanceUntilAsync(Func<bool> condition) => await h.AdvanceUntilAsync(
            () =>
            {
                if (messageEveryFewSeconds && h.Time.GetUtcNow() - lastPush >= TimeSpan.FromSeconds(5))
                {
                    lastPush = h.Time.GetUtcNow();
                    h.Push(next++);
                }

                return condition();
            },
            TimeSpan.FromSeconds(1));

        await AdvanceUntilAsync(() => h.Time.GetUtcNow() - from >= TimeSpan.FromSeconds(30));
        memory.SpareCount.Should().BeGreaterThan(MemorySource.SparesKeptWhenQuiet);
        await AdvanceUntilAsync(() => memory.SpareCount <= MemorySource.SparesKeptWhenQuiet);
        (h.Time.GetUtcNow() - from).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMinutes(1)).And.BeLessThan(TimeSpan.FromMinutes(3.5));
        memory.SpareCount.Should().BeGreaterThanOrEqualTo(MemorySource.SparesKeptWhenQuiet - 1, "a few are always kept (one may be carrying a message)");

        // Those kept still carry the next messages.
        var made = memory.EnvelopesMade;
        h.PushMany(100, from: 100_000);
        await h.FlushAsync();
        memory.EnvelopesMade.Should().Be(made);
        h.AssertBalanced();
    }

    [Fact]
    public async Task Rest_QuietAfterABurst_TheSpareEnvelopesAreLetGoWithoutAnotherMessage()
    {
        // With REST an idle loop turns only at the next message (no batch waits to fill): a timer turns it to let go.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
        var collector = new HeldFirstCollector();
        await using var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = "test-key",
            Protocol = GrowlyticsProtocol.Rest,
            Endpoint = new Uri("https://collector.test/"),
            TimeProvider = time,
            HttpClient = new HttpClient(collector),
            RequestTimeout = TimeSpan.FromMinutes(2), // At most the default RetryBudget, which bounds every attempt.
            FlushOnProcessExit = false,
        });
        var memory = client.Memory;

        // One customer's updates, the first request held: all staged behind it at once, each in an envelope.
        const int Burst = 12_000;
        for (var n = 0; n < Burst; n++)
        {
            client.Customers.Update("customer-1", new Dictionary<string, object?> { ["n"] = n });
        }

        await AdvanceUntilAsync(time, () => client.Queue.Unread == 0 && collector.Requests >= 1, TimeSpan.FromMilliseconds(10));
        collector.Release();
        await AdvanceUntilAsync(time, () => client.Statistics.Delivered == Burst, TimeSpan.FromMilliseconds(10));
        memory.SpareCount.Should().BeGreaterThan(MemorySource.SparesKeptWhenQuiet);

        // Quiet: no message, nothing else turns the loop.
        var from = time.GetUtcNow();
        await AdvanceUntilAsync(time, () => memory.SpareCount <= MemorySource.SparesKeptWhenQuiet, TimeSpan.FromSeconds(1));
        (time.GetUtcNow() - from).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMinutes(1)).And.BeLessThan(TimeSpan.FromMinutes(3.5));
        client.Statistics.Delivered.Should().Be(Burst);
    }

    private static async Task AdvanceUntilAsync(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, Func<bool> condition, TimeSpan step)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60), "the condition should hold long before (fake clock at {0:O})", time.GetUtcNow());
            time.Advance(step);
            await Task.Delay(2);
        }
    }

    /// <summary>REST: holds the first request until <see cref="Release"/>, then accepts every request at once.</summary>
    private sealed class HeldFirstCollector : HttpMessageHandler
    {
        private readonly TaskCompletionSource<bool> _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        public void Release() => _released.TrySetResult(true);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            await _released.Task.WaitAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"success\":true}") };
        }
    }
}
