using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The storage folder removed while the client runs, on an OS that lets a folder go while files in it are open: the folder
/// lock (<c>queue.lock</c>) goes with it. The client takes the folder made again at that path, so a second client cannot
/// take it too; if a second client took it first, this one leaves it alone and delivers from memory.
/// </summary>
public sealed class StorageFolderRemovedTests : StorageTestBase
{
    private const int StorageDamagedEvent = 4004;
    private const int TakenAgainEvent = 4017;
    private const int HeldElsewhereEvent = 4018;
    private const int HeldNumber = 999;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);
    private readonly SemaphoreSlim _appendHeld = new(0);
    private readonly SemaphoreSlim _releaseAppend = new(0);
    private int _holdAppend;

    [Fact]
    public async Task FolderRemoved_TheClientTakesItAgainAndStoresThere_AnotherClientCannotTakeIt()
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows does not remove a folder with a file open in it (the client's queue.lock).
            return;
        }

        var collector = new StorageCollector { Up = false };
        var logs = new RecordingLoggerFactory();
        await using var client = NewClient(collector, o => o.LoggerFactory = logs);
        PushNumbers(client, 0, 10);
        await StoredAsync(client);
        System.IO.Directory.Delete(Directory, recursive: true);

        PushNumbers(client, 10, 10);
        await StoredAsync(client);

        File.Exists(Path.Combine(Directory, "queue.lock")).Should().BeTrue("the client made the folder again and holds it");
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(10, "the numbers pushed after the removal are stored in the new folder");
        logs.Entries.Count(e => e.EventId == TakenAgainEvent).Should().Be(1);

        await using (var second = NewClient(new StorageCollector { Up = false }))
        {
            second.Durable!.IsOwner.Should().BeFalse("the first client holds the folder made again");
        }

        collector.Up = true;
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, Step, () => $"pending {client.Statistics.Pending}");
        var statistics = client.Statistics;
        ShouldBeBalanced(statistics);
        Enumerable.Range(10, 10).Select(n => (long)n).Should().BeSubsetOf(collector.Numbers, "what was stored after the removal is delivered");
        (statistics.Delivered + statistics.DroppedByReason[DropReason.Corrupted]).Should().Be(20, "what went with the folder is delivered (read before) or counted lost");
        if (statistics.DroppedByReason[DropReason.Corrupted] > 0)
        {
            logs.Entries.Should().Contain(e => e.EventId == StorageDamagedEvent);
        }
    }

    [Fact]
    public async Task FolderRemovedAndTakenByAnotherClient_TheFirstLeavesItAloneAndDeliversFromMemory()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var collector = new StorageCollector { Up = false };
        var logs = new RecordingLoggerFactory();
        await using var client = NewFirstClient(collector, o => o.LoggerFactory = logs);
        await using var second = await SecondTakesTheFolderMadeAgainAsync(client);
        var ack = Path.Combine(Directory, "queue.ack");
        var secondsPosition = File.Exists(ack) ? File.ReadAllBytes(ack) : [];

        collector.Up = true;
        PushNumbers(client, 10, 10);
        await StoredAsync(client);

        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, Step, () => $"pending {client.Statistics.Pending}");
        ShouldBeBalanced(client.Statistics);
        Enumerable.Range(10, 10).Select(n => (long)n).Should().BeSubsetOf(collector.Numbers, "the first client delivers them from memory");
        client.Statistics.Delivered.Should().Be(collector.Numbers.Count);
        logs.Entries.Count(e => e.EventId == HeldElsewhereEvent).Should().Be(1, "said once");
        logs.Entries.Should().NotContain(e => e.EventId == TakenAgainEvent);

        // The second client's folder holds its own messages only, and no position of the first's.
        var loaded = SegmentLoader.Load(Directory, long.MaxValue);
        loaded.Segments.Sum(s => s.Pending).Should().Be(5);
        (File.Exists(ack) ? File.ReadAllBytes(ack) : []).Should().Equal(secondsPosition, "the first client writes no position into the second's folder");
        second.Statistics.Pending.Should().Be(5);
    }

    [Fact]
    public async Task FolderRemovedAndTakenByAnotherClient_DeleteLocalData_LeavesTheOtherClientsFilesAlone()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await using var client = NewFirstClient(new StorageCollector { Up = false });
        await using var second = await SecondTakesTheFolderMadeAgainAsync(client);

        var deletion = client.DeleteLocalDataAsync();
        await DriveUntilAsync(() => deletion.IsCompleted, Step);
        await deletion;

        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(5, "the second client's stored messages are not the first's to delete");
        client.Statistics.Pending.Should().Be(0);
        ShouldBeBalanced(client.Statistics);
        second.Statistics.Pending.Should().Be(5);
    }

    [Fact]
    public async Task FolderRemovedAndTakenByAnotherClient_TheFirstNeverReadsTheOthersSegmentsAsItsOwn()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var collector = new StorageCollector { Up = false };
        await using var client = NewFirstClient(collector);
        await using var second = await SecondTakesTheFolderMadeAgainAsync(client);

        // The first client writes once (and finds the folder is not its own), then sends what it has.
        PushNumbers(client, 10, 1);
        await StoredAsync(client);
        collector.Up = true;
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, Step, () => $"pending {client.Statistics.Pending}");

        collector.Numbers.Should().NotContain(Enumerable.Range(100, 5).Select(n => (long)n), "those are the second client's");
        collector.Numbers.Should().Contain(10L);
        ShouldBeBalanced(client.Statistics);
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(5);
    }

    [Fact]
    public async Task FolderRemoved_AnotherClientStoresThereAndLeaves_TheFirstTakesItAgain_TheOthersMessagesAreSentAtTheNextStart()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var logs = new RecordingLoggerFactory();
        var collector = new StorageCollector { Up = true };
        await using var client = NewFirstClient(collector, o => o.LoggerFactory = logs);
        PushNumbers(client, 0, 10);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, Step);
        collector.Up = false;

        // Another instance takes the folder made again, stores 100-104 there (its service down) and ends, leaving them
        // for the next start; then the first writes again.
        await RemoveTheFolderAsync(client, async () =>
        {
            await using var second = NewClient(new StorageCollector { Up = false });
            second.Durable!.IsOwner.Should().BeTrue();
            PushNumbers(second, 100, 5);
            await StoredAsync(second);
        });

        PushNumbers(client, 10, 10);
        await StoredAsync(client);
        logs.Entries.Count(e => e.EventId == TakenAgainEvent).Should().Be(1);
        await client.DisposeAsync();

        var next = await NextStartSendsAsync();
        next.Numbers.Should().BeEquivalentTo(Enumerable.Range(100, 5).Concat(Enumerable.Range(10, 10)).Append(HeldNumber).Select(n => (long)n), "the other instance's messages and the first's stored ones are sent at the next start");
    }

    [Fact]
    public async Task LockFileTimeChanged_FolderNotRemoved_TheClientKeepsItsFolderAndLosesNothing()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var logs = new RecordingLoggerFactory();
        var collector = new StorageCollector { Up = false };
        await using var client = NewClient(collector, o => o.LoggerFactory = logs);
        PushNumbers(client, 0, 10);
        await StoredAsync(client);

        // A tool sets the lock file's time (a backup, touch, a file system that keeps whole seconds only).
        var lockFile = Path.Combine(Directory, "queue.lock");
        File.SetLastWriteTimeUtc(lockFile, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        PushNumbers(client, 10, 10);
        await StoredAsync(client);
        collector.Up = true;
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, Step, () => $"pending {client.Statistics.Pending}");

        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 20).Select(n => (long)n));
        client.Statistics.Dropped.Should().Be(0);
        client.Durable!.IsBuffer.Should().BeTrue("the disk is still the buffer");
        logs.Entries.Should().NotContain(e => e.EventId == TakenAgainEvent || e.EventId == HeldElsewhereEvent);
    }

    [Fact]
    public async Task OnlyTheLockFileDeleted_TheClientHoldsTheFolderAgain_NothingIsCountedLostOrSentTwice()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var logs = new RecordingLoggerFactory();
        var collector = new StorageCollector { Up = false };
        await using (var client = NewClient(collector, o => o.LoggerFactory = logs))
        {
            PushNumbers(client, 0, 10);
            await StoredAsync(client);

            // The user (or a cleaning tool) deletes queue.lock alone: the folder and its segments stay.
            File.Delete(Path.Combine(Directory, StorageFolder.LockFileName));
            PushNumbers(client, 10, 10);
            await StoredAsync(client);
            File.Exists(Path.Combine(Directory, StorageFolder.LockFileName)).Should().BeTrue("the client holds the folder again");
            logs.Entries.Count(e => e.EventId == TakenAgainEvent).Should().Be(1);

            collector.Up = true;
            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, Step, () => $"pending {client.Statistics.Pending}");
            client.Statistics.Dropped.Should().Be(0);
            collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 20).Select(n => (long)n));
        }

        var next = await NextStartSendsAsync();
        next.Numbers.Should().BeEmpty("everything was delivered in the first run");
        SegmentFiles().Should().BeEmpty("delivered segments are deleted");
    }

    [Fact]
    public async Task FolderRemovedAndTakenByAnotherClient_TheFirstWritesAndDeletesNoSessionFileThere()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await using var client = NewFirstClient(new StorageCollector { Up = false });
        await using var second = await SecondTakesTheFolderMadeAgainAsync(client);
        second.User.Identify("user-b");
        await second.FlushSessionFileAsync();
        var sessionPath = Path.Combine(Directory, "session.json");
        File.ReadAllText(sessionPath).Should().Contain("user-b");

        // The first client writes once (it finds the folder another's), then its user logs in, then asks for deletion.
        PushNumbers(client, 10, 1);
        await StoredAsync(client);
        client.User.Identify("user-a");
        await client.FlushSessionFileAsync();
        File.ReadAllText(sessionPath).Should().Contain("user-b", "the session file is the second client's, in the folder it holds");

        var deletion = client.DeleteLocalDataAsync();
        await DriveUntilAsync(() => deletion.IsCompleted, Step);
        await deletion;
        File.ReadAllText(sessionPath).Should().Contain("user-b", "the first client deletes what it keeps, not the second's file");
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task AnotherClientsFolder_ItsLockFileDeletedAfterItEnded_TheFirstTakesIt_TheOthersMessagesAreSentAtTheNextStart()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var collector = new StorageCollector { Up = true };
        await using var client = NewFirstClient(collector);
        PushNumbers(client, 0, 10);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, Step);
        collector.Up = false;

        GrowlyticsClient? second = null;
        await RemoveTheFolderAsync(client, async () =>
        {
            second = NewClient(new StorageCollector { Up = false });
            second.Durable!.IsOwner.Should().BeTrue();
            PushNumbers(second, 100, 5);
            await StoredAsync(second);
        });

        // The first client has found the folder another's while the second holds it; then the second ends.
        client.Durable!.HeldByAnother.Should().BeTrue();
        await second!.DisposeAsync();

        // The second client has ended, leaving its messages; then its queue.lock is deleted (a "stale lock" cleared).
        File.Delete(Path.Combine(Directory, StorageFolder.LockFileName));
        Time.Advance(TimeSpan.FromSeconds(10));
        PushNumbers(client, 20, 10);
        await StoredAsync(client);
        collector.Up = true;
        var sent = client.FlushAsync();
        await DriveUntilAsync(() => sent.IsCompleted && client.Statistics.Pending == 0, Step, () => $"pending {client.Statistics.Pending}");
        ShouldBeBalanced(client.Statistics);
        await client.DisposeAsync();

        var next = await NextStartSendsAsync();
        next.Numbers.Should().Contain(Enumerable.Range(100, 5).Select(n => (long)n), "the second client's stored messages are sent at the next start");

        // The first client saved no position after taking that folder: what it stored there may come again (same ids).
        next.Numbers.Should().BeSubsetOf(Enumerable.Range(100, 5).Concat(Enumerable.Range(20, 10)).Append(HeldNumber).Select(n => (long)n));
    }

    [Fact]
    public async Task FolderTakenAgainFromAnotherClient_TheSessionChangedMeanwhileIsSavedThere()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var sessionPath = Path.Combine(Directory, GrowlyticsSdk.Sessions.SessionStore.FileName);
        await using var client = NewFirstClient(new StorageCollector { Up = false });
        await using (var second = await SecondTakesTheFolderMadeAgainAsync(client))
        {
            second.User.Identify("user-b");
            await DriveUntilAsync(() => File.Exists(sessionPath) && File.ReadAllText(sessionPath).Contains("user-b"), Step);

            // The first client finds the folder another's, and its user logs in meanwhile (kept in memory).
            PushNumbers(client, 10, 1);
            await StoredAsync(client);
            client.Durable!.HeldByAnother.Should().BeTrue();
            client.User.Identify("user-a");
        }

        // The second client has ended: the first takes the folder at its next write and saves its session there.
        Time.Advance(TimeSpan.FromSeconds(10));
        PushNumbers(client, 20, 1);
        await DriveUntilAsync(() => !client.Durable!.HeldByAnother && File.ReadAllText(sessionPath).Contains("user-a"), Step);
        await client.DisposeAsync();

        await using var next = NewClient(new StorageCollector { Up = false });
        next.User.UserId.Should().Be("user-a", "the first client held the folder at its end, logged in as user-a");
    }

    /// <summary>
    /// <paramref name="client"/> (made with <see cref="NewFirstClient"/>) stores the numbers 0-9, its folder is removed, and
    /// another client, started before the first writes again, takes the folder made again at that path and stores 100-104
    /// there: its segments get the same names as the first one's (both folders started empty).
    /// </summary>
    /// <summary>A client started on the folder, its service up, sends what is stored there; returns what it received.</summary>
    private async Task<StorageCollector> NextStartSendsAsync()
    {
        var next = new StorageCollector { Up = true };
        await using var client = NewClient(next);
        var sent = client.FlushAsync();
        await DriveUntilAsync(() => sent.IsCompleted && client.Statistics.Pending == 0, Step, () => $"pending {client.Statistics.Pending}");
        return next;
    }

    private async Task<GrowlyticsClient> SecondTakesTheFolderMadeAgainAsync(GrowlyticsClient client)
    {
        PushNumbers(client, 0, 10);
        await StoredAsync(client);
        GrowlyticsClient? second = null;
        await RemoveTheFolderAsync(client, async () =>
        {
            second = NewClient(new StorageCollector { Up = false });
            second.Durable!.IsOwner.Should().BeTrue();
            PushNumbers(second, 100, 5);
            await StoredAsync(second);
        });

        return second!;
    }

    /// <summary>A client whose storage writer <see cref="RemoveTheFolderAsync"/> can hold in its next append.</summary>
    private GrowlyticsClient NewFirstClient(StorageCollector collector, Action<GrowlyticsOptions>? configure = null) =>
        NewClient(collector, o =>
        {
            configure?.Invoke(o);
            o.BeforeStorageAppend = () =>
            {
                if (Interlocked.Exchange(ref _holdAppend, 0) == 1)
                {
                    _appendHeld.Release();
                    _releaseAppend.Wait(TimeSpan.FromSeconds(30));
                }
            };
        });

    /// <summary>
    /// Removes the folder while <paramref name="client"/>'s storage writer is held in an append (of <see cref="HeldNumber"/>),
    /// so it cannot take the folder made again before <paramref name="whileRemoved"/> has run; then lets the writer go on.
    /// </summary>
    private async Task RemoveTheFolderAsync(GrowlyticsClient client, Func<Task> whileRemoved)
    {
        Volatile.Write(ref _holdAppend, 1);
        PushNumbers(client, HeldNumber, 1);
        var stored = StoredAsync(client);
        (await _appendHeld.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
            await whileRemoved();
        }
        finally
        {
            _releaseAppend.Release();
        }

        await stored;
    }
}
