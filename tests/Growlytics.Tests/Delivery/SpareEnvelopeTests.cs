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
}
