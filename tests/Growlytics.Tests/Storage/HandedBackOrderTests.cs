using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.TestSupport;
using GrowlyticsSdk.Threading;
using GrowlyticsSdk.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// With storage as the buffer, a message the writer cannot store (larger than a record may be) is handed back to memory,
/// which delivers it. The loop reads the disk before memory: the user's messages written before it must be on the disk
/// before it is handed back, and those after it must follow it from memory until it is read, or they would be sent
/// first. Other users' messages go on to the disk meanwhile.
/// </summary>
public sealed class HandedBackOrderTests : StorageTestBase
{
    [Fact]
    public async Task MessageHandedBackByTheWriter_AndTheNextOneStored_ArriveInCallOrder()
    {
        var (client, handler, loop) = await StartWithTheLoopHeldAsync();
        try
        {
            // 0: too large (memory delivers it); 1: small, after it.
            client.User.Push(Large(0));
            client.User.Push(Small(1));
            await WrittenAsync(client);
            await loop.ReleaseAsync();

            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == 3, TimeSpan.FromMilliseconds(500), () => $"accepted {string.Join(",", handler.Accepted)}");
            handler.Accepted.Where(n => n < 100).Should().Equal([0L, 1L], "one user's messages arrive in call order");
        }
        finally
        {
            await EndAsync(client, loop);
        }
    }

    [Fact]
    public async Task MessageHandedBackByTheWriter_TheUsersMessagesAroundItStayInOrder_OtherUsersAreStillStored()
    {
        var (client, handler, loop) = await StartWithTheLoopHeldAsync();
        var holderStored = client.Durable!.Unread;
        try
        {
            // The user: 0 (stored), 1 (too large: memory delivers it), 2 and 3 (after it); another customer's 100 between.
            client.User.Push(Small(0));
            client.User.Push(Large(1));
            client.User.Push(Small(2));
            client.Customers.Update("other", Small(100));
            client.User.Push(Small(3));
            await WrittenAsync(client);

            client.Durable!.Unread.Should().Be(holderStored + 2, "the user's 0 and the other customer's 100 were stored; 1, 2 and 3 wait in memory, in order");
            await loop.ReleaseAsync();

            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == 6, TimeSpan.FromMilliseconds(500), () => $"accepted {string.Join(",", handler.Accepted)}");
            handler.Accepted.Where(n => n < 100).Should().Equal([0L, 1L, 2L, 3L], "one user's messages arrive in call order");
            handler.Accepted.Should().Contain(100L);

            // Once 3 was read, the user's next messages go to the disk again.
            client.Memory.WaitingUsers.Should().Be(0);
        }
        finally
        {
            await EndAsync(client, loop);
        }
    }

    // The loop reads the disk, finds nothing, then reads memory: a hand-back between those two reads (the user's 0
    // appended first) must wait for the next read of the disk.
    [Fact]
    public async Task HandBackBetweenTheLoopsDiskAndMemoryReads_KeepsCallOrder()
    {
        var (client, handler, loop) = await StartWithTheLoopAtTheGapAsync(new StorageCollector());
        try
        {
            // One round of the writer: 0 appended to the disk, then 1 (too large) handed back to memory.
            client.User.Push(Small(0));
            client.User.Push(Large(1));
            await WrittenAsync(client);
            await loop.ReleaseAsync();

            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == 3, TimeSpan.FromMilliseconds(500), () => $"accepted {string.Join(",", handler.Accepted)}");
            handler.Accepted.Where(n => n < 100).Should().Equal([0L, 1L], "one user's messages arrive in call order");
        }
        finally
        {
            await EndAsync(client, loop);
        }
    }

    // The user's 1 is too large to store (handed back); 2 is handed back behind it. The shutdown begins (the service
    // down) before the loop has read them: 2 is written to the folder for the next start, not lost with 1.
    [Fact]
    public async Task ShutdownWhileDown_MessageHandedBackBehindOneNotReadYet_IsStoredNotDropped()
    {
        var collector = new StorageCollector { Up = true };
        var (client, _, loop) = await StartWithTheLoopAtTheGapAsync(collector, useCollector: true);
        GrowlyticsStatistics stats;
        try
        {
            await HandBackOneAndTwoAsync(client);
            client.Memory.WaitingUsers.Should().Be(1);

            collector.Up = false;
            var shutdown = client.ShutdownAsync();
            await loop.ReleaseAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
            stats = client.Statistics;
        }
        finally
        {
            await EndAsync(client, loop);
        }

        ShouldBeBalanced(stats);
        stats.DroppedByReason.GetValueOrDefault(DropReason.Shutdown).Should().Be(1, "only the message too large to store is lost at shutdown");
        await DeliverAtTheNextStartAsync(collector);
        collector.Numbers.Should().Contain(2L, "the user's storable message was kept in the folder for the next start");
    }

    // At shutdown the messages behind a handed-back one are written to the folder (handed back, they would be dropped
    // with the process); only the one too large to store is lost.
    [Fact]
    public async Task ShutdownWhileDown_MessagesBehindHandedBack_AreStoredNotDropped()
    {
        var collector = new StorageCollector { Up = false };
        var client = NewClient(collector, o => o.MaxStorageBytes = 64 * 1024);
        await DriveUntilAsync(() => client.Durable!.IsOwner, TimeSpan.FromMilliseconds(100));
        client.User.Push(Small(0));
        client.User.Push(Large(1));
        client.User.Push(Small(2));
        client.User.Push(Small(3));
        var written = client.Durable!.FlushAsync(CancellationToken.None);
        await DriveUntilAsync(() => written.IsCompleted && client.Memory.WaitingUsers == 0 && collector.Attempts > 0, TimeSpan.FromMilliseconds(100));

        // Other customers' calls keep the writer busy as the shutdown begins (it takes the returned messages first).
        UpdateCustomerNumbers(client, 1000, 200);
        var shutdown = client.ShutdownAsync();

        // Small steps: the writer must store some 200 messages before the shutdown's 5 s deadline (fake time) passes; with
        // 1 s steps that left it about 25 ms of real time, too little on a busy machine.
        await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMilliseconds(100));
        var stats = client.Statistics;
        await client.DisposeAsync();

        stats.DroppedByReason.GetValueOrDefault(DropReason.Shutdown).Should().Be(1, "only the message too large to store is lost at shutdown");

        await DeliverAtTheNextStartAsync(collector);
        collector.Numbers.Should().Contain([0L, 2L, 3L], "the user's storable messages were kept in the folder for the next start");
    }

    // The user's 1 is too large to store, 2 waits behind it (both handed back, not read); 3 is still queued as the
    // shutdown begins. The writer takes 3 before the loop gives 1 and 2 back to it: 3 must not be stored before 2.
    [Fact]
    public async Task ShutdownWhileDown_QueuedMessageTakenBeforeTheHandedBackOnesAreReturned_IsStoredAfterThem()
    {
        var collector = new StorageCollector { Up = true };
        var (client, _, loop) = await StartWithTheLoopAtTheGapAsync(collector, useCollector: true);
        try
        {
            await HandBackOneAndTwoAsync(client);

            collector.Up = false;
            client.User.Push(Small(3));
            var shutdown = client.ShutdownAsync();

            // The writer commits (its interval, or a flush) while the loop has not yet served the return.
            var commit = client.Durable!.FlushAsync(CancellationToken.None);
            await DriveUntilAsync(() => commit.IsCompleted, TimeSpan.FromMilliseconds(100));
            await loop.ReleaseAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
        }
        finally
        {
            await EndAsync(client, loop);
        }

        await DeliverAtTheNextStartAsync(collector);
        collector.Messages.Where(m => m.N is 2 or 3).Select(m => m.N).Should().Equal([2L, 3L], "one user's messages are stored, and sent at the next start, in call order");
    }

    // The writer finds the user's 3 waiting behind 1 and 2 (handed back, not read) and hands it back only after the loop
    // has given 1 and 2 back to it at shutdown: 3 must still be stored, not dropped with the process.
    [Fact]
    public async Task ShutdownWhileDown_MessageHandedBackBehindAfterTheReturn_IsStoredNotDropped()
    {
        var collector = new StorageCollector { Up = true };
        var (client, _, loop) = await StartWithTheLoopAtTheGapAsync(collector, useCollector: true);
        using var writerHeld = new ManualResetEventSlim();
        using var releaseWriter = new ManualResetEventSlim();
        GrowlyticsStatistics stats;
        try
        {
            await HandBackOneAndTwoAsync(client);

            collector.Up = false;
            var inner = client.Durable!.HandingBackInOrder!;
            client.Durable.HandingBackInOrder = m =>
            {
                writerHeld.Set();
                releaseWriter.Wait(TimeSpan.FromSeconds(30));
                inner(m);
            };
            client.User.Push(Small(3));
            var commit = client.Durable!.FlushAsync(CancellationToken.None);
            await DriveUntilAsync(() => writerHeld.IsSet || commit.IsCompleted, TimeSpan.FromMilliseconds(100));

            var shutdown = client.ShutdownAsync();
            await loop.ReleaseAsync();
            await DriveUntilAsync(() => !client.Memory.HoldsHandedBack, TimeSpan.FromMilliseconds(100));
            releaseWriter.Set();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
            stats = client.Statistics;
        }
        finally
        {
            releaseWriter.Set();
            await EndAsync(client, loop);
        }

        ShouldBeBalanced(stats);
        stats.DroppedByReason.GetValueOrDefault(DropReason.Shutdown).Should().Be(1, "only the message too large to store is lost at shutdown");
        await DeliverAtTheNextStartAsync(collector);
        collector.Numbers.Should().Contain([2L, 3L], "the user's storable messages were kept in the folder for the next start");
    }

    // The handed-back 1 and 2 are given back to the writer at shutdown, and the disk fails then: handed back again, they
    // are dropped once each, the figures balanced.
    [Fact]
    public async Task ShutdownWhileDown_HandedBackReturned_DiskFailsAgain_DroppedOnce()
    {
        var collector = new StorageCollector { Up = true };
        var failing = 0;
        var (client, _, loop) = await StartWithTheLoopAtTheGapAsync(collector, useCollector: true, o => o.StorageWriteFault = () => Volatile.Read(ref failing) == 1 ? new IOException("disk full") : null);
        GrowlyticsStatistics stats;
        try
        {
            await HandBackOneAndTwoAsync(client);

            collector.Up = false;
            Volatile.Write(ref failing, 1);
            var shutdown = client.ShutdownAsync();
            await loop.ReleaseAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
            stats = client.Statistics;
        }
        finally
        {
            await EndAsync(client, loop);
        }

        ShouldBeBalanced(stats);
        stats.Pending.Should().Be(1, $"the other customer's 100 stays stored ({stats.Enqueued} {stats.Delivered} {stats.Dropped} {string.Join(",", stats.DroppedByReason)})");
        stats.DroppedByReason.GetValueOrDefault(DropReason.Shutdown).Should().Be(2);
        stats.Dropped.Should().Be(2);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ShutdownWhileDown_OptOutWhileTheWriterStoresTheReturnedOnes_NothingSentLater(bool optInAgain)
    {
        var collector = new StorageCollector { Up = true };
        var hold = 0;
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var (client, _, loop) = await StartWithTheLoopAtTheGapAsync(collector, useCollector: true, o => o.StorageWriteFault = () =>
        {
            if (Interlocked.Exchange(ref hold, 0) == 1)
            {
                inside.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }

            return null;
        });
        GrowlyticsStatistics stats;
        try
        {
            await HandBackOneAndTwoAsync(client);

            collector.Up = false;
            Volatile.Write(ref hold, 1);
            var shutdown = client.ShutdownAsync();
            await loop.ReleaseAsync();
            await DriveUntilAsync(() => inside.IsSet, TimeSpan.FromMilliseconds(100));
            var optOut = Task.Run(client.OptOut);
            for (var i = 0; i < 5; i++)
            {
                Time.Advance(TimeSpan.FromMilliseconds(100));
                await Task.Delay(5);
            }

            release.Set();
            await optOut;
            if (optInAgain)
            {
                client.OptIn();
            }

            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
            stats = client.Statistics;
        }
        finally
        {
            release.Set();
            await EndAsync(client, loop);
        }

        ShouldBeBalanced(stats);
        await DeliverAtTheNextStartAsync(collector);
        collector.Numbers.Should().NotContain(2L, $"recorded before the opt-out ({string.Join(",", stats.DroppedByReason)} pending {stats.Pending})");
    }

    [Fact]
    public void HandBackIfWaiting_UntilTheMessageIsRead_NotOnceTheShutdownGaveThemToTheWriter()
    {
        var (queue, memory) = NewMemory();
        UserMessage Message(string user, int n) => new(MessageType.Update, n, DateTimeOffset.UnixEpoch, user, null, [new UserAttribute("n", n)]);
        var large = Message("user", 1);

        memory.HandingBackInOrder(large);
        memory.HandBack([large]);

        memory.HandBackIfWaiting(Message("user", 2)).Should().BeTrue("the user's older message waits in memory");
        memory.HandBackIfWaiting(Message("other", 3)).Should().BeFalse("other users are stored as usual");
        queue.Complete();
        memory.HandBackIfWaiting(Message("user", 4)).Should().BeTrue("until the shutdown gives the handed-back messages to the writer, the user's next ones follow them");
        memory.ReturnHandedBackToStorage();
        memory.HandBackIfWaiting(Message("user", 5)).Should().BeFalse("once the shutdown has given them to the writer, what could be stored is stored");
    }

    [Fact]
    public void HandBackIfWaiting_EndsWhenTheUsersLastHandedBackMessageIsRead()
    {
        var (_, memory) = NewMemory();
        UserMessage Message(int n) => new(MessageType.Update, n, DateTimeOffset.UnixEpoch, "user", null, [new UserAttribute("n", n)]);
        var first = Message(1);
        var second = Message(2);
        memory.HandingBackInOrder(first);
        memory.HandBack([first]);
        memory.HandingBackInOrder(second);
        memory.HandBack([second]);
        var read = new List<Envelope>();

        memory.Read(read, 1).Should().Be(1);
        memory.WaitingUsers.Should().Be(1, "the user's second message is not read yet");
        memory.Read(read, 1).Should().Be(1);
        memory.WaitingUsers.Should().Be(0);
        memory.HandBackIfWaiting(Message(3)).Should().BeFalse();
    }

    private static (MessageQueue Queue, MemorySource Memory) NewMemory()
    {
        var options = new GrowlyticsOptions { TimeProvider = new FakeTimeProvider() };
        var queue = new MessageQueue(options, 100, 500_000, new DeliveryCounters(), new WakeSignal(), NullLogger.Instance);
        return (queue, new MemorySource(queue, 1_000, new MessagePool()) { OrderKey = m => m.AnonymousId! });
    }

    private static NumberHandler RefusingMinusOne() => new() { Refuse = numbers => numbers.Contains(-1) ? HttpStatusCode.UnprocessableEntity : null };

    private static Dictionary<string, object?> Small(int n) => new() { ["n"] = n };

    /// <summary>Too large for a record of a 64 KB folder: memory delivers it.</summary>
    private static Dictionary<string, object?> Large(int n)
    {
        var large = new Dictionary<string, object?> { ["n"] = n };
        for (var i = 0; i < 120; i++)
        {
            large["a" + i] = new string('x', 500);
        }

        return large;
    }

    /// <summary>The user's 1 (too large to store) and 2 (handed back behind it) wait in memory, not read by the held loop.</summary>
    private async Task HandBackOneAndTwoAsync(GrowlyticsClient client)
    {
        client.User.Push(Large(1));
        client.User.Push(Small(2));
        await WrittenAsync(client);
        client.Memory.UnreadCount.Should().Be(2, "2 was handed back behind 1: both wait in memory");
    }

    /// <summary>Releases the loop (if still held), shuts the client down (if it is not yet) and disposes it, then the hold.</summary>
    private async Task EndAsync(GrowlyticsClient client, HeldLoop loop)
    {
        await loop.ReleaseAsync();
        await ShutDownAsync(client);
        loop.Dispose();
    }

    /// <summary>A next client on the same folder sends what was stored, the service up again.</summary>
    private async Task DeliverAtTheNextStartAsync(StorageCollector collector)
    {
        collector.Up = true;
        await using var next = NewClient(collector, o => o.MaxStorageBytes = 64 * 1024);
        var flush = next.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromMilliseconds(100));
    }

    private async Task ShutDownAsync(GrowlyticsClient client)
    {
        await ShutDownDrivingAsync(client, TimeSpan.FromSeconds(1));
        await client.DisposeAsync();
    }

    /// <summary>
    /// A client with a 64 KB folder whose delivery loop is held once it has read a call (another customer's, number 1000)
    /// and found the disk empty, so the storage writer takes the next calls while the loop reads nothing.
    /// </summary>
    private async Task<(GrowlyticsClient Client, NumberHandler Handler, HeldLoop Loop)> StartWithTheLoopHeldAsync()
    {
        var handler = RefusingMinusOne();
        var loop = new HeldLoop();
        var client = NewClient(new StorageCollector(), o =>
        {
            o.HttpClient = new HttpClient(handler);
            o.MaxStorageBytes = 64 * 1024;
            o.AfterStoreRead = loop.AtTheGap;
        });
        await DriveUntilAsync(() => client.Durable!.IsOwner, TimeSpan.FromMilliseconds(100));
        loop.Arm();
        client.Customers.Update("holder", Small(1000));

        // The clock is moved on a pool thread: the loop may go on inside its Advance, and is held there.
        loop.Driving = Task.Run(() => DriveUntilAsync(() => loop.IsHeld, TimeSpan.FromMilliseconds(100)));
        loop.WaitUntilHeld().Should().BeTrue();
        await loop.Driving;

        // The loop may be held before it read the holder's call (at a read of the disk that found nothing): the writer then
        // stores it, before the test's calls.
        await WrittenAsync(client);
        return (client, handler, loop);
    }

    /// <summary>
    /// A client with a 64 KB folder whose delivery loop is held once it has read another customer's call (number 100) and
    /// found the disk empty, before it reads memory; it answers through <paramref name="collector"/> if
    /// <paramref name="useCollector"/>, else through a <see cref="NumberHandler"/>.
    /// </summary>
    private async Task<(GrowlyticsClient Client, NumberHandler Handler, HeldLoop Loop)> StartWithTheLoopAtTheGapAsync(StorageCollector collector, bool useCollector = false, Action<GrowlyticsOptions>? configure = null)
    {
        var handler = RefusingMinusOne();
        var loop = new HeldLoop();
        var client = NewClient(collector, o =>
        {
            if (!useCollector)
            {
                o.HttpClient = new HttpClient(handler);
            }

            o.MaxStorageBytes = 64 * 1024;
            o.AfterStoreRead = loop.AtTheGap;
            configure?.Invoke(o);
        });
        await DriveUntilAsync(() => client.Durable!.IsOwner, TimeSpan.FromMilliseconds(100));
        loop.Arm();

        // Another customer's call wakes the loop, which reads it, then finds the disk empty and is held.
        client.Customers.Update("other", Small(100));
        loop.Driving = Task.Run(() => DriveUntilAsync(() => loop.IsHeld, TimeSpan.FromMilliseconds(100)));
        loop.WaitUntilHeld().Should().BeTrue();
        await loop.Driving;
        return (client, handler, loop);
    }

    /// <summary>
    /// Holds the delivery loop until released, once armed, after a read of the disk that found nothing (<see cref="AtTheGap"/>).
    /// Disposed once the client has shut down.
    /// </summary>
    private sealed class HeldLoop : IDisposable
    {
        private readonly ManualResetEventSlim _held = new();
        private readonly ManualResetEventSlim _release = new();
        private int _armed;

        public Task Driving { get; set; } = Task.CompletedTask;

        public bool IsHeld => _held.IsSet;

        public void Arm() => Volatile.Write(ref _armed, 1);

        public void AtTheGap(int read)
        {
            if (read == 0 && Interlocked.CompareExchange(ref _armed, 2, 1) == 1)
            {
                _held.Set();
                _release.Wait(TimeSpan.FromSeconds(30));
            }
        }

        public bool WaitUntilHeld() => _held.Wait(TimeSpan.FromSeconds(30));

        public Task ReleaseAsync()
        {
            _release.Set();
            return Driving;
        }

        public void Dispose()
        {
            _held.Dispose();
            _release.Dispose();
        }
    }
}
