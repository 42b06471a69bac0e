using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// An opt-out in a run that could not read its storage folder at start (its stored queue saves no position): nothing
/// stored before the opt-out is sent at a later start, even once the user has opted back in, while what is recorded
/// after the opt-in still is.
/// </summary>
public sealed class BlindOptOutTests : StorageTestBase
{
    private const int Stored = 200;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    // Small segments, so the stored numbers take several files.
    private static readonly Action<GrowlyticsOptions> Small = o => o.MaxStorageBytes = 64 * 1024;

    [Fact]
    public async Task StartedOptedOut_FolderNotRead_TheStoredQueueIsDeleted_AndOnlyCallsAfterTheOptInAreSentLater()
    {
        var segments = await StoreNumbersInSmallSegmentsAsync(Stored);
        PrivacyFile.Write(Directory, optedOut: true, NullLogger.Instance);

        // Another program holds the newest segment while the client starts opted out.
        using (new FileStream(segments[^1], FileMode.Open, FileAccess.Read, FileShare.None))
        {
            await using var client = NewClient(new StorageCollector { Up = false }, Small);
            client.IsOptedOut.Should().BeTrue();
            // Deleted as the folder loads; the held one too where a held file can be deleted (not on Windows: the position
            // saved past it then makes the next start delete it).
            await DriveUntilAsync(() => client.Durable!.IsOwner && SegmentFiles().All(f => f == segments[^1]), Step, () => $"{SegmentFiles().Length} segment files");

            await OptInAsync(client);
            PushNumbers(client, 1_000, 10);
            await StoredAsync(client);
            (client.Statistics.Restored, client.Statistics.Pending).Should().Be((0, 10));
            await client.ShutdownAsync();
        }

        await NextStartSendsAsync(Numbers(1_000, 10), "the queue stored before the opted-out start is never sent; the calls after the opt-in are");
    }

    [Fact]
    public async Task FolderNotRead_OptOutThenOptIn_WhatTheOptOutDroppedAndTheUnreadFilesAreNotSentLater_NewCallsAre()
    {
        var segments = await StoreNumbersInSmallSegmentsAsync(Stored);
        using (new FileStream(segments[^1], FileMode.Open, FileAccess.Read, FileShare.None))
        {
            await using var client = NewClient(new StorageCollector { Up = false }, Small);
            await DriveUntilAsync(() => client.Durable!.IsOwner, Step);
            PushNumbers(client, 5_000, 10);
            await StoredAsync(client);

            client.OptOut();
            await DriveUntilAsync(() => client.Statistics.Pending == 0, Step, () => $"pending {client.Statistics.Pending}");
            // The segments that could be read were restored (event 4019), so they are dropped with the new calls.
            client.Statistics.Restored.Should().BeInRange(1, Stored - 1);
            client.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(10 + client.Statistics.Restored);
            await OptInAsync(client);

            // Recorded after the opt-in while the service cannot be reached: stored, for the next start.
            PushNumbers(client, 6_000, 10);
            await StoredAsync(client);
            client.Statistics.Pending.Should().Be(10);
            await client.ShutdownAsync();
        }

        await NextStartSendsAsync(Numbers(6_000, 10), "what the opt-out dropped and what the folder held when the user opted out are never sent; the calls after the opt-in are");
        SegmentFiles().Should().BeEmpty("the files the opted-out run could not read were deleted at this start");
    }

    [Fact]
    public async Task OptedOutBeforeTheFolderIsTakenOver_FolderNotRead_ItIsPassedOverAsItLoads()
    {
        var first = await HoldingStoredNumbersAsync(Stored);
        var segments = SegmentFiles();

        // Starts while the first client holds the folder, and is opted out before it takes the folder over (it tries again
        // on the fake clock, which stands still until the segment is held).
        await using var client = NewClient(new StorageCollector { Up = false }, Small);
        client.Durable!.IsOwner.Should().BeFalse();
        client.OptOut();
        await first.DisposeAsync();
        using (new FileStream(segments[^1], FileMode.Open, FileAccess.Read, FileShare.None))
        {
            await DriveUntilAsync(() => client.Durable.IsOwner, Step);
            client.Statistics.Restored.Should().Be(0, "the folder could not be read");

            await OptInAsync(client);
            PushNumbers(client, 1_000, 10);
            await StoredAsync(client);
            await client.ShutdownAsync();
        }

        await NextStartSendsAsync(Numbers(1_000, 10), "what the folder held when the user opted out is never sent");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OptedOutAndBackInBeforeTheFolderIsTakenOver_WhatItHeldIsDroppedAsItLoads(bool folderRead)
    {
        var first = await HoldingStoredNumbersAsync(Stored);
        var segments = SegmentFiles();
        await using var client = NewClient(new StorageCollector { Up = false }, Small);
        client.Durable!.IsOwner.Should().BeFalse();
        client.OptOut();
        await OptInAsync(client);
        await first.DisposeAsync();

        // Held, or not, as the folder is taken over (the clock stands still until then).
        using (folderRead ? null : new FileStream(segments[^1], FileMode.Open, FileAccess.Read, FileShare.None))
        {
            await DriveUntilAsync(() => client.Durable.IsOwner, Step);
            PushNumbers(client, 1_000, 10);
            await StoredAsync(client);
            client.Statistics.Pending.Should().Be(10);
            ShouldBeBalanced(client.Statistics);
            await client.ShutdownAsync();
        }

        await NextStartSendsAsync(Numbers(1_000, 10), "what the folder held when the user opted out is never sent, though the user opted back in before it was loaded");
    }

    [Fact]
    public async Task FolderNotRead_OptOutWhileTheDiskFailsForAMoment_ThePositionIsSavedOnceItWorks()
    {
        var failing = 0;
        var segments = await StoreNumbersInSmallSegmentsAsync(Stored);
        using (new FileStream(segments[^1], FileMode.Open, FileAccess.Read, FileShare.None))
        {
            await using var client = NewClient(new StorageCollector { Up = false }, o =>
            {
                Small(o);
                o.StorageWriteFault = () => Volatile.Read(ref failing) == 1 ? new IOException("No space left on device") : null;
            });
            await DriveUntilAsync(() => client.Durable!.IsOwner, Step);
            PushNumbers(client, 5_000, 10);
            await StoredAsync(client);

            // The position cannot be written as the user opts out; the disk works again right after.
            Volatile.Write(ref failing, 1);
            client.OptOut();
            Volatile.Write(ref failing, 0);
            await DriveUntilAsync(() => client.Statistics.Pending == 0, Step, () => $"pending {client.Statistics.Pending}");

            await OptInAsync(client);
            PushNumbers(client, 6_000, 10);
            await StoredAsync(client);
            await client.ShutdownAsync();
        }

        await NextStartSendsAsync(Numbers(6_000, 10), "the position past every segment was saved once the disk took it");
    }

    [Fact]
    public async Task FolderNotRead_DiskFullFromTheOptOutToTheShutdown_TheUnreadFilesAreDeletedAndNothingIsSentLater()
    {
        var failing = 0;
        var segments = await StoreNumbersInSmallSegmentsAsync(Stored);
        // Held so that the client cannot read it but can delete it: on Windows a holder that shares deletion only; elsewhere
        // an exclusive hold (deleting a file needs no share there).
        var share = OperatingSystem.IsWindows() ? FileShare.Delete : FileShare.None;
        using (new FileStream(segments[^1], FileMode.Open, FileAccess.Read, share))
        {
            await using var client = NewClient(new StorageCollector { Up = false }, o =>
            {
                Small(o);
                o.StorageWriteFault = () => Volatile.Read(ref failing) == 1 ? new IOException("No space left on device") : null;
            });
            await DriveUntilAsync(() => client.Durable!.IsOwner, Step);
            PushNumbers(client, 5_000, 10);
            await StoredAsync(client);

            // No position can be written from here on: deleting needs no write.
            Volatile.Write(ref failing, 1);
            client.OptOut();
            await DriveUntilAsync(() => client.Statistics.Pending == 0 && SegmentFiles().Length == 0, Step, () => $"pending {client.Statistics.Pending}, {SegmentFiles().Length} segment files");
            await OptInAsync(client);
            await client.ShutdownAsync();
        }

        var collector = new StorageCollector { Up = true };
        await using var next = NewClient(collector, Small);
        PushNumbers(next, 7_000, 1);
        var flush = next.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);
        collector.Numbers.Should().Equal([7_000L], "nothing stored before the opt-out is sent");
    }

    [Fact]
    public async Task FolderNotReadAgain_WithTheClockSetBack_ItsSegmentsAreNumberedPastTheOptOutsPosition()
    {
        var segments = await StoreNumbersInSmallSegmentsAsync(Stored);
        using (new FileStream(segments[^1], FileMode.Open, FileAccess.Read, FileShare.None))
        {
            await using var client = NewClient(new StorageCollector { Up = false }, Small);
            await DriveUntilAsync(() => client.Durable!.IsOwner, Step);
            PushNumbers(client, 5_000, 10);
            await StoredAsync(client);
            client.OptOut();
            await DriveUntilAsync(() => client.Statistics.Pending == 0, Step);
            await OptInAsync(client);
            PushNumbers(client, 1_000, 10);
            await StoredAsync(client);
            await client.ShutdownAsync();
        }

        // The opt-out's position is numbered from this clock; the next run's clock is a day behind it, and it cannot read
        // the folder either (the segment holding 1000-1009 is held).
        var behind = new FakeTimeProvider(Time.GetUtcNow() - TimeSpan.FromDays(1));
        using (new FileStream(SegmentFiles()[^1], FileMode.Open, FileAccess.Read, FileShare.None))
        {
            await using var client = NewClient(new StorageCollector { Up = false }, o =>
            {
                Small(o);
                o.TimeProvider = behind;
            });
            PushNumbers(client, 2_000, 10);
            (await FakeClockDriver.AdvanceUntilAsync(behind, StoredAsync(client), TimeSpan.FromMinutes(10), Step)).Should().BeTrue();
            client.Statistics.Pending.Should().Be(10);
            (await FakeClockDriver.AdvanceUntilAsync(behind, client.ShutdownAsync(), TimeSpan.FromMinutes(10), Step)).Should().BeTrue();
        }

        await NextStartSendsAsync(
            [.. Numbers(1_000, 10), .. Numbers(2_000, 10)],
            "the second run numbered its segments past the position the first one saved, not by its clock");
    }

    [Fact]
    public Task OptOut_FolderRead_DoesNotWaitForTheStorageWritersSlowWrite() => WhileTheWriterIsHeldInAWriteAsync(
        async client =>
        {
            var optOut = Task.Run(client.OptOut);
            (await Task.WhenAny(optOut, Task.Delay(TimeSpan.FromSeconds(10)))).Should().BeSameAs(optOut, "the folder was read: there is nothing to pass over, so the caller does not wait for the disk");
            client.IsOptedOut.Should().BeTrue();
        },
        Step);

    /// <summary>
    /// Starts the next client, with the service up, and checks that what it restores and sends is exactly
    /// <paramref name="expected"/>.
    /// </summary>
    private async Task NextStartSendsAsync(long[] expected, string because)
    {
        var collector = new StorageCollector { Up = true };
        await using var next = NewClient(collector, Small);
        await DriveUntilAsync(
            () => next.Statistics.Restored == expected.Length && next.Statistics.Pending == 0,
            Step,
            () => $"restored {next.Statistics.Restored}, pending {next.Statistics.Pending}, files {string.Join(",", SegmentFiles().Select(Path.GetFileName))}");
        collector.Numbers.Should().BeEquivalentTo(expected, because);
    }

    private static long[] Numbers(int from, int count) => Enumerable.Range(from, count).Select(n => (long)n).ToArray();

    /// <summary>
    /// Opts in and waits for the last sweep for the opt-out (a call stored before it runs would be dropped with what was
    /// held: see <see cref="GrowlyticsClient.OptIn"/>).
    /// </summary>
    private async Task OptInAsync(GrowlyticsClient client)
    {
        client.OptIn();
        await DriveUntilAsync(() => !client.Dispatcher.SweepPending, Step);
    }
}
