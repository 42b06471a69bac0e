using GrowlyticsSdk.Tests.Storage;

namespace GrowlyticsSdk.Tests.Time;

/// <summary>
/// MaxStorageAge is judged by the wall clock (stored messages outlive the process), but a wall clock set forward past it
/// while the client runs, for a moment (a bad time server's answer, a user's mistake), dropped every stored message as
/// Expired though they were seconds old.
/// </summary>
public sealed class StorageAgeClockStepTests : StorageTestBase
{
    [Fact]
    public async Task WallClockSetForwardPastMaxStorageAge_StoredMessagesSecondsOld_AreNotExpired()
    {
        var clock = new SteppedClock(Time);
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o => o.TimeProvider = clock);
        PushNumbers(client, 0, 10);
        await client.FlushAsync();

        clock.Step = TimeSpan.FromDays(4);
        PushNumbers(client, 10, 1);
        await client.FlushAsync();
        clock.Step = TimeSpan.Zero;

        var statistics = client.Statistics;
        statistics.DroppedByReason[DropReason.Expired].Should().Be(0, "the messages are seconds old on the monotonic clock");
        statistics.Pending.Should().Be(11, "the service is down: every message waits in storage");
    }

    [Fact]
    public async Task WallClockAheadForLongerThanTheGrace_IsTakenAsRight_AndTheOldMessagesExpire()
    {
        // A machine that slept for days (the monotonic clock stands still meanwhile), or a clock corrected for good. Small
        // segments: those holding only messages recorded before the step can expire as a whole.
        var clock = new SteppedClock(Time);
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o =>
        {
            o.TimeProvider = clock;
            o.MaxStorageBytes = 64 * 1024;
        });
        PushNumbers(client, 0, 60);
        await client.FlushAsync();

        clock.Step = TimeSpan.FromDays(4);
        var steppedAt = Time.GetUtcNow();
        await PushRoundsUntilAsync(client, 1_000, 1, () => client.Statistics.DroppedByReason[DropReason.Expired] > 0, TimeSpan.FromMinutes(1));

        (Time.GetUtcNow() - steppedAt).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMinutes(10), "a wall clock ahead is taken as right only after about ten minutes")
            .And.BeLessThan(TimeSpan.FromMinutes(30), "and then it is: the monotonic clock alone would take days");
        var statistics = client.Statistics;
        statistics.DroppedByReason[DropReason.Expired].Should().BeLessThanOrEqualTo(60, "only messages recorded before the step are older than MaxStorageAge by it");
        ShouldBeBalanced(statistics);
    }

    [Fact]
    public async Task WallClockSetForwardPastMaxStorageAgeForMinutes_NothingWritten_StoredMessagesAreNotExpired()
    {
        // Checked at each writer turn, also with nothing to write (an outage without new calls): the same steady clock
        // judges the age there.
        var clock = new SteppedClock(Time);
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o => o.TimeProvider = clock);
        PushNumbers(client, 0, 10);
        await WrittenAsync(client);

        clock.Step = TimeSpan.FromDays(4);
        var stepped = Time.GetUtcNow();
        await DriveUntilAsync(() => Time.GetUtcNow() - stepped >= TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(5));
        clock.Step = TimeSpan.Zero;
        var back = Time.GetUtcNow();
        await DriveUntilAsync(() => Time.GetUtcNow() - back >= TimeSpan.FromMinutes(20), TimeSpan.FromSeconds(5));

        var statistics = client.Statistics;
        statistics.DroppedByReason[DropReason.Expired].Should().Be(0, "the messages are minutes old on both clocks once the wall clock is back");
        statistics.Pending.Should().Be(10, "the service is down: every message waits in storage");
        ShouldBeBalanced(statistics);
    }

    [Fact]
    public async Task WallClockSetBackPastMaxStorageAgeWhileRecording_ThenRight_MessagesSecondsOld_AreDelivered()
    {
        // The mirror of the first test: messages recorded while the wall clock was set back (a user's mistake, a time
        // server's bad answer) carry that time, and were expired as soon as the clock was right again, though the monotonic
        // clock says they are seconds old.
        var clock = new SteppedClock(Time);
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o => o.TimeProvider = clock);
        PushNumbers(client, 0, 5);
        await WrittenAsync(client);

        clock.Step = -TimeSpan.FromDays(30);
        PushNumbers(client, 5, 5);
        clock.Step = TimeSpan.Zero;
        PushNumbers(client, 10, 1);
        await WrittenAsync(client);
        var back = Time.GetUtcNow();
        await DriveUntilAsync(() => Time.GetUtcNow() - back >= TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5));

        collector.Up = true;
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, TimeSpan.FromMilliseconds(200));

        var statistics = client.Statistics;
        statistics.DroppedByReason[DropReason.Expired].Should().Be(0, "the messages are a minute old on the monotonic clock");
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 11).Select(n => (long)n));
        ShouldBeBalanced(statistics);
    }

    [Fact]
    public async Task WallClockSetBack_RecordedLateInASegmentWrittenToBefore_ExpiresByItsOwnWriteNotTheSegmentsFirst()
    {
        // A quiet app writes to one segment for a long time (a segment rolls at its size, not its age): messages recorded
        // while the wall clock was set back, late in that segment's life, are as old as their write on the monotonic
        // clock, not as old as the segment's first write.
        var clock = new SteppedClock(Time);
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o =>
        {
            o.TimeProvider = clock;
            o.MaxStorageAge = TimeSpan.FromMinutes(10);
        });
        PushNumbers(client, 0, 5);
        await WrittenAsync(client);
        var start = Time.GetUtcNow();
        await DriveUntilAsync(() => Time.GetUtcNow() - start >= TimeSpan.FromMinutes(9), TimeSpan.FromSeconds(5));

        clock.Step = -TimeSpan.FromDays(30);
        PushNumbers(client, 5, 5);
        clock.Step = TimeSpan.Zero;
        await WrittenAsync(client);
        SegmentFiles().Should().ContainSingle("the messages went into the segment first written nine minutes before");
        await DriveUntilAsync(() => Time.GetUtcNow() - start >= TimeSpan.FromMinutes(11), TimeSpan.FromSeconds(5));

        collector.Up = true;
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, TimeSpan.FromMilliseconds(200));

        var statistics = client.Statistics;
        collector.Numbers.Should().Contain(Enumerable.Range(5, 5).Select(n => (long)n), "they were written two minutes before, with MaxStorageAge at ten");
        statistics.DroppedByReason[DropReason.Expired].Should().BeLessThanOrEqualTo(5, "only the messages recorded eleven minutes before may have expired");
        ShouldBeBalanced(statistics);
    }

    [Fact]
    public async Task WallClockSetBack_RecordedIntoASegmentLoadedAtStart_ExpiresByItsOwnWrite()
    {
        // The writer appends to the last segment a previous run left, rather than start a file: messages recorded there
        // while the wall clock was set back are judged by their write too.
        var clock = new SteppedClock(Time);
        await using (var previous = await HoldingStoredNumbersAsync(5))
        {
            await ShutDownDrivingAsync(previous, TimeSpan.FromMilliseconds(100));
        }

        var collector = new StorageCollector();
        await using var client = NewClient(collector, o =>
        {
            o.TimeProvider = clock;
            o.MaxStorageAge = TimeSpan.FromMinutes(10);
        });
        var start = Time.GetUtcNow();
        await DriveUntilAsync(() => Time.GetUtcNow() - start >= TimeSpan.FromMinutes(9), TimeSpan.FromSeconds(5));

        clock.Step = -TimeSpan.FromDays(30);
        PushNumbers(client, 5, 5);
        clock.Step = TimeSpan.Zero;
        await WrittenAsync(client);
        SegmentFiles().Should().ContainSingle("the messages went into the segment the previous run left");
        await DriveUntilAsync(() => Time.GetUtcNow() - start >= TimeSpan.FromMinutes(11), TimeSpan.FromSeconds(5));

        collector.Up = true;
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, TimeSpan.FromMilliseconds(200));

        collector.Numbers.Should().Contain(Enumerable.Range(5, 5).Select(n => (long)n), "they were written two minutes before, with MaxStorageAge at ten");
        client.Statistics.DroppedByReason[DropReason.Expired].Should().BeLessThanOrEqualTo(5, "only the previous run's messages, eleven minutes old, may have expired");
        ShouldBeBalanced(client.Statistics);
    }

    // Both clocks moving on past MaxStorageAge: DurableQueueTests.AgeLimit_Exceeded_DropsExpiredMessagesAndCountsThem.
}
