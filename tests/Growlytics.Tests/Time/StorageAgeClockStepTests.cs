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

    // Both clocks moving on past MaxStorageAge: DurableQueueTests.AgeLimit_Exceeded_DropsExpiredMessagesAndCountsThem.
}
