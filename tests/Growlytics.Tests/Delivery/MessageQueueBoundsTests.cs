using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Threading;
using GrowlyticsSdk.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

public sealed class MessageQueueBoundsTests
{
    [Fact]
    public void Enqueue_BytesBoundReachedFirst_DropsAndCountsQueueFull()
    {
        var (queue, counters) = NewQueue(maxCount: 1_000_000, maxBytes: 64 * 1024);
        var big = new string('x', 4_000);

        for (var i = 0; i < 100; i++)
        {
            queue.Enqueue(Message(big));
        }

        queue.EstimatedBytes.Should().BeLessThanOrEqualTo(64 * 1024);
        queue.Count.Should().Be(5, "each message holds about 8 KB of UTF-16 text and 4 KB of JSON");
        counters.GetDropped(DropReason.QueueFull).Should().Be(100 - queue.Count);
        counters.Enqueued.Should().Be(100);
    }

    [Fact]
    public void Enqueue_OneLargeMessageDropsSeveralOfTheOldest_TheLogCountsEachOfThem()
    {
        var log = new DeliveryLog();
        var counters = new DeliveryCounters();
        var options = new GrowlyticsOptions
        {
            MaxQueueSize = 1_000_000,
            MaxQueueBytes = 64 * 1024,
            QueueOverflowPolicy = QueueOverflowPolicy.DropOldest,
            TimeProvider = new FakeTimeProvider(),
        };
        var queue = new MessageQueue(options, 100, 500_000, counters, new WakeSignal(), log.CreateLogger("GrowlyticsSdk"));
        for (var i = 0; i < 16; i++)
        {
            queue.Enqueue(Message(new string('x', 1_000)));
        }

        counters.GetDropped(DropReason.QueueFull).Should().Be(0);

        // About 48 KB (its text and its JSON): room for it takes several of the 3 KB ones.
        queue.Enqueue(Message(new string('y', 16_000)));

        var dropped = counters.GetDropped(DropReason.QueueFull);
        dropped.Should().BeGreaterThan(1);
        log.WithId(2001).Select(e => e.Fields["Count"]).Should().Equal(dropped);
    }

    [Fact]
    public void Estimate_ThreeAttributeUpdate_TracksWhatItHolds()
    {
        var message = new UserMessage(MessageType.Update, 1, DateTimeOffset.UnixEpoch, "anon-1234567890123456", null,
            [new UserAttribute("city", "Pune"), new UserAttribute("plan", "pro"), new UserAttribute("n", 7)]);

        // Its objects and envelope (about 420 B) and its JSON, counted from the call (about 360 B; 305 B as written).
        MessageSize.Estimate(message).Should().BeInRange(650, 850);
        MessageSize.Estimate(Message(new string('x', 100_000))).Should().BeGreaterThan(300_000, "a large value is never undercounted: its UTF-16 text and its JSON");
    }

    [Fact]
    public void Estimate_SmallestMessage_CoversItsOwnObjectsAndTheEnvelopeItIsSentIn()
    {
        // A message with next to no text: what it holds is its objects and, once read for sending (maybe waiting behind its
        // user's blocked requests for long), its envelope and the partition's slot for it. The bound must count those.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var message = new UserMessage(MessageType.Update, 1, DateTimeOffset.UnixEpoch, null, "u", [new UserAttribute("n", true)]);
        var envelope = new Envelope(message, null!, null, 0);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before + IntPtr.Size;

        GC.KeepAlive(envelope);
        MessageSize.Estimate(message).Should().BeGreaterThanOrEqualTo((int)allocated);
    }

    [Fact]
    public async Task EnqueueAsync_QueueFull_WaitsForRoomInsteadOfDropping()
    {
        var (queue, counters) = NewQueue(maxCount: 2, maxBytes: 1024 * 1024);
        queue.Enqueue(Message("a"));
        queue.Enqueue(Message("b"));

        // Nothing else reads the queue, so the call can only finish once room is made below.
        var waiting = queue.EnqueueAsync(Message("c"), CancellationToken.None).AsTask();
        waiting.IsCompleted.Should().BeFalse();
        counters.GetDropped(DropReason.QueueFull).Should().Be(0);
        counters.Enqueued.Should().Be(2);

        queue.TryRead(out var first).Should().BeTrue();
        queue.Release(MessageSize.Estimate(first));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        queue.Count.Should().Be(2);
        counters.Enqueued.Should().Be(3);
    }

    [Fact]
    public async Task EnqueueAsync_CancelledWhileWaiting_QueuesAndCountsNothing()
    {
        var (queue, counters) = NewQueue(maxCount: 1, maxBytes: 1024 * 1024);
        queue.Enqueue(Message("a"));
        using var cancel = new CancellationTokenSource();

        var waiting = queue.EnqueueAsync(Message("b"), cancel.Token).AsTask();
        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<OperationCanceledException>();
        queue.Count.Should().Be(1);
        counters.Enqueued.Should().Be(1);
    }

    [Fact]
    public async Task EnqueueAsync_ShutdownWhileWaiting_CountsItAsShutdown()
    {
        var (queue, counters) = NewQueue(maxCount: 1, maxBytes: 1024 * 1024);
        queue.Enqueue(Message("a"));

        var waiting = queue.EnqueueAsync(Message("b"), CancellationToken.None).AsTask();
        queue.Complete();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        counters.GetDropped(DropReason.Shutdown).Should().Be(1);
        counters.Enqueued.Should().Be(2);
        queue.Count.Should().Be(1);
    }

    [Fact]
    public void Enqueue_PassingAQuarterOfTheCountBound_WakesTheStorageWriterOncePerCrossing()
    {
        var (queue, _) = NewQueue(maxCount: 1_000, maxBytes: 1024 * 1024 * 1024);
        var wakes = 0;
        queue.StorageWake = () => wakes++;

        Enqueue(queue, 600);

        wakes.Should().Be(1, "the 250th message crossed a quarter of MaxQueueSize; the others did not");

        // The writer takes them to disk; filling up again is a new crossing.
        Release(queue, 600);
        Enqueue(queue, 300);

        wakes.Should().Be(2);
    }

    [Fact]
    public void Enqueue_CountHoveringAtAQuarter_WakesTheStorageWriterOnceUntilMemoryIsDownToHalfOfIt()
    {
        var (queue, _) = NewQueue(maxCount: 1_000, maxBytes: 1024 * 1024 * 1024);
        var wakes = 0;
        queue.StorageWake = () => wakes++;
        Enqueue(queue, 250);

        // One leaves, one comes, a hundred times: the count goes from 249 to 250 each time.
        for (var i = 0; i < 100; i++)
        {
            Release(queue, 1);
            queue.Enqueue(Message("a"));
        }

        wakes.Should().Be(1, "a count hovering at the threshold is not a new filling");

        Release(queue, 124);
        Enqueue(queue, 124);
        wakes.Should().Be(1, "memory went down to 126 only, above half the threshold");

        Release(queue, 126);
        Enqueue(queue, 126);
        wakes.Should().Be(2, "memory went down to 124, under half of 250, so reaching 250 again wakes the writer");
    }

    [Fact]
    public async Task EnqueueAsync_PassingAQuarterOfTheBytesBound_WakesTheStorageWriter()
    {
        var (queue, _) = NewQueue(maxCount: 1_000_000, maxBytes: 64 * 1024);
        var wakes = 0;
        queue.StorageWake = () => wakes++;

        // About 8 KB each: the second passes 16 KB.
        await queue.EnqueueAsync(Message(new string('x', 4_000)), CancellationToken.None);
        wakes.Should().Be(0);
        await queue.EnqueueAsync(Message(new string('x', 4_000)), CancellationToken.None);
        wakes.Should().Be(1);
        await queue.EnqueueAsync(Message(new string('x', 4_000)), CancellationToken.None);
        wakes.Should().Be(1);
    }

    private static void Enqueue(MessageQueue queue, int count)
    {
        for (var i = 0; i < count; i++)
        {
            queue.Enqueue(Message("a"));
        }
    }

    private static void Release(MessageQueue queue, int count)
    {
        for (var i = 0; i < count; i++)
        {
            queue.TryRead(out var message).Should().BeTrue();
            queue.Release(MessageSize.Estimate(message), message.Calls);
        }
    }

    [Fact]
    public async Task EnqueueAsync_ManyWaitersAsRoomIsMadeOneMessageAtATime_NoneMissesTheRoom()
    {
        // Sixty-four awaiting calls race for one or two free places, made one at a time by a reader on another thread: each
        // place is taken by one of them, so a waiter that re-armed the signal could swap away the wake-up another was
        // about to await. Every message must get in while places are made; the reader stops making them once nothing
        // new came in for ten seconds (real time), which is the symptom of a waiter that missed its wake-up. The reader has
        // a thread of its own: spinning on one of the pool's, it left the waiters' continuations short of threads on a
        // busy 2-core host, with other test classes running beside it.
        const int Waiters = 64;
        const int PerWaiter = 100;
        var (queue, counters) = NewQueue(maxCount: 2, maxBytes: 1024 * 1024);
        var read = 0;
        using var stop = new CancellationTokenSource();
        var reader = Task.Factory.StartNew(
            () =>
            {
                var quietSince = System.Diagnostics.Stopwatch.StartNew();
                while (read < Waiters * PerWaiter && quietSince.Elapsed < TimeSpan.FromSeconds(10))
                {
                    if (queue.TryRead(out var message))
                    {
                        read++;
                        quietSince.Restart();
                        queue.Release(MessageSize.Estimate(message));
                    }
                    else
                    {
                        Thread.Yield();
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        var writers = Enumerable.Range(0, Waiters).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < PerWaiter; i++)
            {
                await queue.EnqueueAsync(Message("m"), stop.Token);
            }
        })).ToArray();

        await reader.WaitAsync(TimeSpan.FromSeconds(60));
        read.Should().Be(Waiters * PerWaiter, "each place made was taken, and every waiting call got one in the end");
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(10));
        counters.Enqueued.Should().Be(Waiters * PerWaiter);
        counters.GetDropped(DropReason.QueueFull).Should().Be(0);
    }

    private static (MessageQueue Queue, DeliveryCounters Counters) NewQueue(int maxCount, long maxBytes)
    {
        var counters = new DeliveryCounters();
        var options = new GrowlyticsOptions { MaxQueueSize = maxCount, MaxQueueBytes = maxBytes, TimeProvider = new FakeTimeProvider() };
        return (new MessageQueue(options, 100, 500_000, counters, new WakeSignal(), NullLogger.Instance), counters);
    }

    private static UserMessage Message(string text) =>
        new(MessageType.Update, 1, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("text", text)]);
}
