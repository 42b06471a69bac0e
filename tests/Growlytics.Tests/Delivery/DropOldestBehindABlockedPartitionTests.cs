using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// <see cref="QueueOverflowPolicy.DropOldest"/> while one user's request is held and its backlog fills the queue's byte
/// bound: the oldest unread message is dropped and the newest call is kept, so the delivery loop must not stage the
/// whole queue into the blocked partition.
/// </summary>
public sealed class DropOldestBehindABlockedPartitionTests
{
    [Fact]
    public async Task DropOldest_ByteBoundFullBehindABlockedPartition_DropsTheOldestUnreadAndKeepsTheNewest()
    {
        long perMessage;
        await using (var probe = new DeliveryHarness(o => o.MaxBatchSize = 10, startDelivery: false))
        {
            probe.Push(0, "anon-a");
            perMessage = probe.Client.Queue.EstimatedBytes;
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = HeldUntil(gate.Task, o =>
        {
            // Requests of 10, 8 at a time: what may be taken out of the queue (a quarter of its byte bound, 1,250 messages)
            // is still far larger than what requests take at once, and the 5,000 messages are sent in 500 requests.
            o.MaxBatchSize = 10;
            o.MaxConcurrentRequests = 8;
            o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest;
            o.MaxQueueSize = 20_000;
            o.MaxQueueBytes = Math.Max(64 * 1024, perMessage * 5_000);
        });
        for (var i = 0; i < 5_000; i++)
        {
            h.Push(i, "anon-a");
        }

        // The first request is held and the partition's next one is written ahead behind it (10 messages each); the loop
        // stages more of the rest meanwhile, until what is taken out of the queue (in flight, written ahead, staged) comes
        // to a quarter of its byte bound (1,250 messages of this size), and the rest stays unread in the queue.
        await DeliveryHarness.WaitUntilAsync(() =>
            h.Requests.Count >= 1 && h.Client.Dispatcher.WrittenAheadWaiting == 1 && h.Client.Queue.Unread <= 5_000 - 1_250);
        var unread = h.Client.Queue.Unread;
        unread.Should().BePositive("the loop must not stage the whole queue into the blocked partition");

        // The held request's body is counted with its messages (each message's estimate holds its JSON), so it takes no
        // room of its own: the new calls make room by dropping exactly as many of the oldest unread messages.
        h.Client.Queue.RequestBytes.Should().Be(0, "the held request's body is within its messages' estimates");

        // More than what is unread: every unread message of the first burst is dropped, then the second's oldest.
        var end = 5_000 + unread + 1_000;
        for (var i = 5_000; i < end; i++)
        {
            h.Push(i, "anon-a");
        }

        var dropped = h.Client.Statistics.DroppedByReason[DropReason.QueueFull];
        dropped.Should().Be(end - 5_000);
        gate.SetResult();
        await h.FlushAsync();
        var delivered = h.Accepted.SelectMany(r => r.Numbers).ToHashSet();
        delivered.Should().HaveCount((int)(end - dropped), "each call is delivered or dropped");

        // What was dropped is the oldest unread each time: the calls kept from the second burst are its newest.
        var kept = delivered.Where(n => n >= 5_000).ToList();
        kept.Should().NotBeEmpty("the unstaged part of the queue had room to give");
        kept.Count.Should().Be(unread, "the loop read nothing more while the request was held: the burst dropped every unread message of the first");
        kept.Should().BeEquivalentTo(Enumerable.Range(end - kept.Count, kept.Count).Select(n => (long)n));
    }

    [Fact]
    public async Task DropOldest_SmallQueueFullBehindABlockedPartition_KeepsTheNewestCalls()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = HeldUntil(gate.Task, o =>
        {
            // A queue far smaller than the loop's usual stage (4,096 messages): a quarter of it may be staged.
            o.MaxBatchSize = 10;
            o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest;
            o.MaxQueueSize = 100;
        });
        for (var i = 0; i < 100; i++)
        {
            h.Push(i, "anon-a");
        }

        // One request held and the next written ahead behind it (10 messages each), 5 more staged: a quarter of the queue
        // taken, the rest stays unread in it.
        await DeliveryHarness.WaitUntilAsync(() =>
            h.Requests.Count >= 1 && h.Client.Dispatcher.WrittenAheadWaiting == 1 && h.Client.Queue.Unread <= 100 - 25);
        var unread = h.Client.Queue.Unread;
        unread.Should().BePositive("the loop must not stage the whole queue into the blocked partition");
        for (var i = 100; i < 200; i++)
        {
            h.Push(i, "anon-a");
        }

        h.Client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(100);
        gate.SetResult();
        await h.FlushAsync();
        var delivered = h.Accepted.SelectMany(r => r.Numbers).ToHashSet();
        delivered.Should().HaveCount(100).And.Contain(199, "the newest call is never the one a full DropOldest queue drops");
        var kept = delivered.Where(n => n >= 100).ToList();
        kept.Should().BeEquivalentTo(Enumerable.Range(200 - unread, unread).Select(n => (long)n), "the oldest unread were dropped each time");
    }

    [Fact]
    public async Task DropOldest_ByteBoundFullOfLargerMessagesBehindABlockedPartition_KeepsTheNewest()
    {
        // Messages of about 1 KB: the byte bound holds 2,000 of them, fewer than the loop would stage by count.
        var text = new string('x', 400);
        long perMessage;
        await using (var probe = new DeliveryHarness(o => o.MaxBatchSize = 10, startDelivery: false))
        {
            probe.Push(0, "anon-a", text);
            perMessage = probe.Client.Queue.EstimatedBytes;
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = HeldUntil(gate.Task, o =>
        {
            o.MaxBatchSize = 10;
            o.MaxConcurrentRequests = 8;
            o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest;
            o.MaxQueueSize = 20_000;
            o.MaxQueueBytes = Math.Max(64 * 1024, perMessage * 2_000);
        });
        for (var i = 0; i < 2_000; i++)
        {
            h.Push(i, "anon-a", text);
        }

        // Taken out of the queue (staged, written ahead, in flight): about a quarter of the byte bound, 500 messages. Not
        // exactly: the bound is applied at the queue's average message size when the loop reads, and once (in a CI run
        // with the other suites beside it) the wait for exactly 1,500 unread ran out. The clock moves in small steps, far
        // from the held request's timeout, so nothing the loop might wait for on it holds the test up.
        await h.AdvanceUntilAsync(
            () => h.Requests.Count >= 1 && h.Client.Dispatcher.WrittenAheadWaiting == 1 && h.Client.Queue.Unread <= 1_550,
            TimeSpan.FromMilliseconds(10));
        await Task.Delay(100);
        var unread = h.Client.Queue.Unread;
        unread.Should().BeGreaterThan(1_000, "about a quarter of the byte bound is taken, the rest stays unread");
        for (var i = 2_000; i < 2_100; i++)
        {
            h.Push(i, "anon-a", text);
        }

        gate.SetResult();
        await h.FlushAsync();
        var delivered = h.Accepted.SelectMany(r => r.Numbers).ToHashSet();
        delivered.Should().Contain(Enumerable.Range(2_000, 100).Select(n => (long)n), "the newest calls are kept; the oldest unread made room");
    }

    [Fact]
    public async Task DropOldest_SmallQueueManyUsersWithRequestsHeld_KeepsTheNewestCall()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = HeldUntil(gate.Task, o =>
        {
            o.MaxBatchSize = 10;
            o.MaxConcurrentRequests = 16;
            o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest;
            o.MaxQueueSize = 100;
        });
        for (var i = 0; i < 100; i++)
        {
            h.Push(i, "anon-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        // Requests in flight count as taken too: with many users they, not the stage, would take the whole queue.
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count >= 1);
        for (var step = 0; step < 50; step++)
        {
            h.Time.Advance(TimeSpan.FromMilliseconds(200));
            await Task.Delay(5);
        }

        var unread = h.Client.Queue.Unread;
        unread.Should().BeGreaterThanOrEqualTo(75, "a quarter of MaxQueueSize at most is taken out of the queue");
        for (var i = 100; i < 200; i++)
        {
            h.Push(i, "anon-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        gate.SetResult();
        await h.FlushAsync();
        h.Accepted.SelectMany(r => r.Numbers).Should().Contain(199, "the newest call is never the one a full DropOldest queue drops");
    }

    // Every request waits for the gate and then gets an answer of its own: one response object answering two requests
    // (the written-ahead one comes at once) would be disposed by the first, and the mock handler never completes the second.
    private static DeliveryHarness HeldUntil(Task gate, Action<GrowlyticsOptions> configure)
    {
        var h = new DeliveryHarness(configure);
        h.Responder = async _ =>
        {
            await gate;
            return new HttpResponseMessage(HttpStatusCode.OK);
        };
        return h;
    }
}
