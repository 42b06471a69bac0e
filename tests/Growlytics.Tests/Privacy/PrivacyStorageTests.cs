using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Tests.Storage;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>Opt-out and local-data deletion with <see cref="GrowlyticsOptions.StorageDirectory"/> set: files, restarts, counts.</summary>
public sealed class PrivacyStorageTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task OptOut_WithStorage_NewClientOnTheSameFolderStartsOptedOut()
    {
        var collector = new StorageCollector { Up = true };
        await using (var first = NewClient(collector))
        {
            first.OptOut();
        }

        await using var second = NewClient(collector);
        PushNumbers(second, 0, 3);
        await second.FlushAsync();
        await DriveUntilAsync(() => second.Statistics.Pending == 0, Step);

        second.IsOptedOut.Should().BeTrue();
        collector.Messages.Should().BeEmpty();
        second.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(3);
        ShouldBeBalanced(second.Statistics);
        File.ReadAllText(Path.Combine(Directory, PrivacyFile.FileName)).Should().Be("{\"version\":1,\"optedOut\":true}");
    }

    [Fact]
    public async Task OptOutAgain_WhileTheSweepForTheFirstReadsTheDisk_IsSweptToo()
    {
        var collector = new StorageCollector { Up = true };
        GrowlyticsClient? self = null;
        var sweeping = 0;
        var calledDuringSweep = 0;
        await using var client = NewClient(collector, o => o.AfterStoreRead = _ =>
        {
            // The sweep for the first opt-out has read memory and now reads the disk: a call, a second opt-out and an
            // opt-in come in before it ends.
            if (self is { IsOptedOut: true } && Interlocked.Exchange(ref sweeping, 1) == 0)
            {
                self.OptIn();
                PushNumbers(self, 3, 1);
                self.OptOut();
                self.OptIn();

                // Only now is the call counted as pending: waiting on the flag above could see nothing pending yet.
                Volatile.Write(ref calledDuringSweep, 1);
            }
        });
        self = client;
        client.OptOut();
        await DriveUntilAsync(() => Volatile.Read(ref calledDuringSweep) == 1 && client.Statistics.Pending == 0, Step);

        // Recorded before the second opt-out: dropped, never sent.
        collector.Messages.Should().BeEmpty();
        client.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(1);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task Logout_WhileOptedOutWithStorage_IsSavedSoTheNextStartIsNotThatUser()
    {
        var collector = new StorageCollector { Up = true };
        string anonymousId;
        await using (var first = NewClient(collector))
        {
            first.User.Identify("u-a");
            await first.FlushSessionFileAsync();
            first.OptOut();
            first.User.Logout();
            anonymousId = first.User.AnonymousId;
            await first.FlushSessionFileAsync();
        }

        await using var second = NewClient(collector);
        (second.User.UserId, second.User.AnonymousId).Should().Be(((string?)null, anonymousId));
        File.ReadAllText(Path.Combine(Directory, SessionStore.FileName)).Should().NotContain("u-a");
    }

    [Fact]
    public async Task OptIn_WithStorage_NewClientOnTheSameFolderSendsAgain()
    {
        var collector = new StorageCollector { Up = true };
        await using (var first = NewClient(collector))
        {
            first.OptOut();
            first.OptIn();
        }

        await using var second = NewClient(collector);
        PushNumbers(second, 0, 2);
        await DriveUntilAsync(() => collector.Messages.Count == 2, Step);

        second.IsOptedOut.Should().BeFalse();
        collector.Numbers.Should().BeEquivalentTo([0L, 1L]);
    }

    [Fact]
    public async Task Start_OptedOutWithMessagesStoredByAnEarlierRun_DropsThemUnsent()
    {
        var collector = new StorageCollector { Up = false };
        await using (var first = NewClient(collector))
        {
            PushNumbers(first, 0, 4);
            await first.FlushAsync();
        }

        PrivacyFile.Write(Directory, optedOut: true, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        collector.Up = true;
        await using var second = NewClient(collector);
        await DriveUntilAsync(() => second.Statistics.DroppedByReason[DropReason.OptedOut] == 4, Step);
        await second.FlushAsync();

        collector.Messages.Should().BeEmpty();
        var stats = second.Statistics;
        (stats.Restored, stats.DroppedByReason[DropReason.OptedOut], stats.Pending).Should().Be((4, 4, 0));
        ShouldBeBalanced(stats);
    }

    [Fact]
    public async Task Start_WithADamagedPrivacyFile_StartsOptedOut()
    {
        System.IO.Directory.CreateDirectory(Directory);
        await File.WriteAllTextAsync(Path.Combine(Directory, PrivacyFile.FileName), "{not json");

        await using var client = NewClient(new StorageCollector { Up = true });

        client.IsOptedOut.Should().BeTrue();
    }

    [Fact]
    public async Task Start_WithAnEnormousPrivacyFile_StartsOptedOutWithoutReadingItIntoMemory()
    {
        // 256 MB, sparse where the file system allows: passed over by its length, as larger than any choice.
        System.IO.Directory.CreateDirectory(Directory);
        using (var file = File.Create(Path.Combine(Directory, PrivacyFile.FileName)))
        {
            file.SetLength(256L * 1024 * 1024);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        await using var client = NewClient(new StorageCollector { Up = true });
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        client.IsOptedOut.Should().BeTrue();
        allocated.Should().BeLessThan(16L * 1024 * 1024, "a file larger than any choice is not read into memory at start");
    }

    [Fact]
    public async Task DeleteLocalDataAsync_WithStoredQueueAndSession_DeletesTheFilesAndStartsANewAnonymousSession()
    {
        var collector = new StorageCollector { Up = false };
        await using var client = NewClient(collector);
        PushNumbers(client, 0, 5);
        client.User.Identify("u-1");
        await client.FlushAsync();
        SegmentFiles().Should().NotBeEmpty();
        File.Exists(SessionPath).Should().BeTrue();
        var anonymousId = client.User.AnonymousId;

        await client.DeleteLocalDataAsync();

        SegmentFiles().Should().BeEmpty();
        File.Exists(Path.Combine(Directory, AckFile.FileName)).Should().BeFalse();
        File.Exists(SessionPath).Should().BeFalse();
        File.Exists(Path.Combine(Directory, StorageFolder.LockFileName)).Should().BeTrue("the client still holds the folder");
        client.User.AnonymousId.Should().NotBe(anonymousId);
        client.User.IsIdentified.Should().BeFalse();
        await DriveUntilAsync(() => client.Statistics.Pending == 0, Step);
        var stats = client.Statistics;
        (stats.Enqueued, stats.DroppedByReason[DropReason.OptedOut], stats.Delivered, stats.Pending).Should().Be((6, 6, 0, 0));
        ShouldBeBalanced(stats);

        collector.Up = true;
        PushNumbers(client, 100, 2);
        await client.FlushAsync();
        await DriveUntilAsync(() => collector.Messages.Count >= 2, Step);

        collector.Numbers.Should().BeEquivalentTo([100L, 101L], "only what was recorded after the deletion is sent");
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task DeleteLocalDataAsync_WithATokenAlreadyCancelled_ThrowsAndStillDeletes()
    {
        var collector = new StorageCollector { Up = false };
        await using var client = NewClient(collector);
        PushNumbers(client, 0, 3);
        client.User.Identify("u-1");
        await client.FlushAsync();
        SegmentFiles().Should().NotBeEmpty();

        // "Stops the wait; the deletion goes on": a user's erasure request is not undone by the app's token.
        var act = () => client.DeleteLocalDataAsync(new CancellationToken(canceled: true));

        await act.Should().ThrowAsync<OperationCanceledException>();
        await DriveUntilAsync(() => client.Statistics.Pending == 0 && SegmentFiles().Length == 0 && !File.Exists(SessionPath), Step);
        client.User.IsIdentified.Should().BeFalse();
        client.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(4);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task DeleteLocalDataAsync_ThenRestart_RestoresNothing()
    {
        var collector = new StorageCollector { Up = false };
        await using (var first = NewClient(collector))
        {
            PushNumbers(first, 0, 3);
            await first.FlushAsync();
            await first.DeleteLocalDataAsync();
        }

        collector.Up = true;
        await using var second = NewClient(collector);
        await second.FlushAsync();

        second.Statistics.Restored.Should().Be(0);
        collector.Messages.Should().BeEmpty();
    }

    [Fact]
    public async Task DeleteLocalDataAsync_WhileOptedOut_KeepsTheChoice()
    {
        await using var client = NewClient(new StorageCollector { Up = true });
        client.OptOut();

        await client.DeleteLocalDataAsync();

        client.IsOptedOut.Should().BeTrue();
        File.Exists(Path.Combine(Directory, PrivacyFile.FileName)).Should().BeTrue("the user's choice is not local data about the user");
    }

    [Fact]
    public async Task DeleteLocalDataAsync_AfterShutdown_Throws()
    {
        var client = NewClient(new StorageCollector { Up = true });
        await client.ShutdownAsync();

        var act = () => client.DeleteLocalDataAsync();

        await act.Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task DeleteLocalDataAsync_ThenShutdownAtOnce_DeletesTheStoredQueueBeforeTheFolderIsReleased()
    {
        var collector = new StorageCollector { Up = false };
        var client = NewClient(collector);
        PushNumbers(client, 0, 5);
        await client.FlushAsync();
        SegmentFiles().Should().NotBeEmpty();

        var deletion = client.DeleteLocalDataAsync();
        var shutdown = client.ShutdownAsync();
        await Task.WhenAll(deletion, shutdown).WaitAsync(TimeSpan.FromSeconds(20));

        var stats = client.Statistics;
        (stats.DroppedByReason[DropReason.OptedOut], stats.DroppedByReason[DropReason.Shutdown], stats.Pending).Should().Be((5, 0, 0), "the shutdown waited for the deletion, which dropped what was stored");
        ShouldBeBalanced(stats);

        collector.Up = true;
        await using var next = NewClient(collector);
        await next.FlushAsync();
        next.Statistics.Restored.Should().Be(0, "the deletion ran while the first client still held the folder");
        collector.Messages.Should().BeEmpty();
    }

    [Fact]
    public async Task StartOptedOut_OptedBackInBeforeTheFolderIsLoaded_NeverSendsWhatAnEarlierRunLeft()
    {
        // An earlier run stored five messages while the service was down, opted out, and was killed before it dropped
        // them: the choice is saved, the messages are still stored. This run starts while another client still holds the
        // folder, so the folder is loaded only after the user has opted back in.
        var collector = new StorageCollector { Up = false };
        var holder = NewClient(collector);
        PushNumbers(holder, 0, 5);
        await holder.FlushAsync();
        SegmentFiles().Should().NotBeEmpty();
        PrivacyFile.Write(Directory, optedOut: true, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        await using var client = NewClient(collector);
        client.IsOptedOut.Should().BeTrue();
        client.OptIn();
        PushNumbers(client, 100, 2);
        await holder.ShutdownAsync();
        collector.Up = true;

        await DriveUntilAsync(() => client.Statistics.Pending == 0 && collector.Messages.Count >= 2, Step);
        await client.FlushAsync();

        collector.Numbers.Should().BeEquivalentTo([100L, 101L], "what the run that opted out left is dropped as the folder is loaded, never sent");
        client.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(5);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task DeleteLocalDataAsync_WhileCallsKeepComing_EndsWithoutWaitingForThemToStop()
    {
        var collector = new StorageCollector { Up = false };
        await using var client = NewClient(collector);
        PushNumbers(client, 0, 500);
        await client.FlushAsync();
        using var stop = new CancellationTokenSource();
        var pushed = 0;
        // Flat out, until the deletion has ended (at most two minutes, so a deletion that never ends fails the test), on a
        // thread of its own: spinning on one of the pool's, it left the deletion's own work short of threads on a busy
        // 2-core host, with other test classes running beside it.
        var pusher = Task.Factory.StartNew(
            () =>
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (!stop.IsCancellationRequested && clock.Elapsed < TimeSpan.FromMinutes(2))
                {
                    PushNumbers(client, 1_000 + Volatile.Read(ref pushed), 1);
                    Interlocked.Increment(ref pushed);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        while (Volatile.Read(ref pushed) < 1_000)
        {
            await Task.Delay(5);
        }

        // Ends while the calls keep coming: it takes what was there when it began, not what arrives meanwhile.
        try
        {
            await client.DeleteLocalDataAsync().WaitAsync(TimeSpan.FromSeconds(25));
            pusher.IsCompleted.Should().BeFalse("the calls were still coming when the deletion ended");
        }
        finally
        {
            // Also when the deletion failed: a pusher left spinning would slow every other test for two minutes.
            await stop.CancelAsync();
            await pusher;
        }

        client.Statistics.DroppedByReason[DropReason.OptedOut].Should().BeGreaterThanOrEqualTo(500, "what was stored before the deletion is dropped");
        collector.Up = true;
        await client.FlushAsync();
        await DriveUntilAsync(() => client.Statistics.Pending == 0, Step);
        collector.Numbers.Should().NotContain(n => n < 500, "nothing recorded before the deletion is sent");
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task DeleteAll_WhileTheWritersCommitNeverFindsMemoryEmpty_RunsBeforeTheCallsStop()
    {
        const int MostRounds = 20_000;
        const int RoundAsked = 50;
        var collector = new StorageCollector { Up = false };
        GrowlyticsClient? self = null;
        var rounds = 0;
        var deleted = false;
        var deletion = new TaskCompletionSource<Task<int>>(TaskCreationOptions.RunContinuationsAsynchronously);

        // Each round the writer appends brings one more call: its commit never finds memory empty until MostRounds, or
        // until the deletion has ended. The deletion is asked for at round 50, from the writer's own round (so the test
        // does not depend on how many rounds run while it looks).
        await using var client = NewClient(collector, o => o.BeforeStorageAppend = () =>
        {
            var round = Interlocked.Increment(ref rounds);
            if (round == RoundAsked && self is { } asking)
            {
                // The stored queue's part of DeleteLocalDataAsync (the engine's sweep, which runs before it, would take the
                // one call memory holds and end the chain itself).
                deletion.TrySetResult(asking.Durable!.DeleteAllAsync(DropReason.OptedOut).ContinueWith(
                    _ =>
                    {
                        Volatile.Write(ref deleted, true);
                        return Volatile.Read(ref rounds);
                    },
                    TaskScheduler.Default));
            }

            if (round < MostRounds && !Volatile.Read(ref deleted) && self is { } c)
            {
                PushNumbers(c, 1_000_000 + round, 1);
            }
        });
        self = client;
        PushNumbers(client, 0, 100);

        // The clock moves: a writer that found memory empty before the first calls (too few to wake it) commits at its
        // interval. (Waiting without moving it hung for good when the writer was that quick.)
        await DriveUntilAsync(() => deletion.Task.IsCompleted, Step);
        var roundsAtDeletion = await (await deletion.Task).WaitAsync(TimeSpan.FromSeconds(60));

        roundsAtDeletion.Should().BeLessThan(MostRounds, "the deletion ran between two rounds of the commit, not once the calls stopped");

        // What was stored before the deletion is dropped (records out in a request are counted once it ends).
        await DriveUntilAsync(() => client.Statistics.DroppedByReason[DropReason.OptedOut] >= 100, Step);

        // The calls made meanwhile are written after it, nothing lost on the way.
        var stored = StoredAsync(client);
        await DriveUntilAsync(() => stored.IsCompleted, Step);
        client.Statistics.Pending.Should().BeGreaterThan(0, "the calls made after the deletion are stored");
        ShouldBeBalanced(client.Statistics);
    }

    private string SessionPath => Path.Combine(Directory, SessionStore.FileName);
}
