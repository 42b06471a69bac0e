using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A burst of one user's messages is staged behind its request in flight, each message in an envelope. The envelopes
/// come back when their messages are delivered and carry the next burst (no new ones), up to a bound; once no read has
/// needed a spare for a minute, all but a few are let go.
/// </summary>
public sealed class SpareEnvelopeTests
{
    [Fact]
    public async Task Burst_OfOneUser_ItsEnvelopesCarryTheNextBurst_AndAreLetGoAfterAQuietMinute()
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
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Queue.Unread == 0 && h.Requests.Count >= 1);
        memory.SparesTaken.Should().Be(0, "no envelope was ever given back before");
        gate.SetResult(true);
        await h.FlushAsync();
        memory.SpareCount.Should().Be(20_000, "every delivered message's envelope is kept for the next");

        h.PushMany(20_000, from: 20_000);
        await h.FlushAsync();
        memory.SparesTaken.Should().Be(20_000, "the second burst took every envelope from the spares, none new");
        memory.SpareCount.Should().Be(20_000);
        h.Client.Statistics.Delivered.Should().Be(40_000);

        // Quiet: the batch protocol's loop turns at every flush interval. Half a minute on, the spares are still there.
        var quietFrom = h.Time.GetUtcNow();
        await h.AdvanceUntilAsync(() => h.Time.GetUtcNow() - quietFrom >= TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        memory.SpareCount.Should().Be(20_000);
        await h.AdvanceUntilAsync(() => memory.SpareCount == MemorySource.SparesKeptWhenQuiet, TimeSpan.FromSeconds(1));
        (h.Time.GetUtcNow() - quietFrom).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMinutes(1)).And.BeLessThan(TimeSpan.FromMinutes(1.5));

        // Those kept still carry the next messages.
        h.PushMany(100, from: 40_000);
        await h.FlushAsync();
        memory.SparesTaken.Should().Be(20_100);
        h.AssertBalanced();
    }

    [Fact]
    public void Reuse_BeyondTheQueueSize_KeepsNoMoreSparesThanTheQueueCanHoldMessages()
    {
        var source = new MemorySource(NewQueue(), maxQueueSize: 10_000);
        var envelopes = Enumerable.Range(0, 12_000).Select(_ => new Envelope(null!, source, null, 0)).ToList();
        source.Reuse(envelopes);
        source.SpareCount.Should().Be(10_000);
        source.TrimSpares();
        source.SpareCount.Should().Be(MemorySource.SparesKeptWhenQuiet);
    }

    private static MessageQueue NewQueue() => new(
        new GrowlyticsOptions { TimeProvider = new Microsoft.Extensions.Time.Testing.FakeTimeProvider() },
        100,
        500_000,
        new GrowlyticsSdk.Diagnostics.DeliveryCounters(),
        new GrowlyticsSdk.Threading.WakeSignal(),
        Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
}
