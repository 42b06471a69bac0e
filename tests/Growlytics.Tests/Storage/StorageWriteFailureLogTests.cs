using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The log line of a failing storage write (event 4006) names a full disk as such, and is written at most once a minute
/// with the failures since the line before.
/// </summary>
public sealed class StorageWriteFailureLogTests : StorageTestBase
{
    private const int WriteFailed = 4006;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Theory]
    [InlineData(28, true)]
    [InlineData(5, false)]
    public async Task WriteFails_TheLogSaysWhetherTheDiskIsFull(int errorNumber, bool full)
    {
        var logs = new RecordingLoggerFactory();
        await using var client = NewClient(new StorageCollector { Up = true }, o =>
        {
            o.LoggerFactory = logs;
            o.StorageWriteFault = () => new IOException("write failed", errorNumber);
        });

        PushNumbers(client, 0, 5);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == 5, Step);

        var line = logs.Entries.Should().ContainSingle(e => e.EventId == WriteFailed).Which.Message;
        line.Should().Contain("IOException", "the exception type is named either way");
        if (full)
        {
            line.Should().Contain("the disk is full", "ENOSPC is a full disk, which the user can act on");
        }
        else
        {
            line.Should().NotContain("full", "an I/O error is not a full disk");
        }
    }

    [Fact]
    public async Task WriteFailsAgainATickShortOfAMinuteAfterTheLine_WaitsForTheNextLine_AMinuteAfterALineIsLogged()
    {
        var faults = new System.Collections.Concurrent.ConcurrentQueue<DateTimeOffset>();
        var logs = new RecordingLoggerFactory();
        await using var client = NewClient(new StorageCollector { Up = true }, o =>
        {
            o.LoggerFactory = logs;

            // A disk with room for small writes only: every write of records fails, the small file that tells whether the
            // disk works again does not (so a turn of the writer's with nothing to write does not put the next write off).
            o.StorageAppendFault = _ =>
            {
                faults.Enqueue(Time.GetUtcNow());
                return new IOException("write failed", 5);
            };
        }, startDelivery: false);

        // Only the writer runs: with the disk failing, the delivery loop reads memory too, and a turn of its own (a timer
        // the test's minute fires) that read a push before the writer took it left the write the test waits for undone.
        client.Durable!.Start();

        PushNumbers(client, 0, 1);
        await FailedAsync(client, faults, 1);
        var first = Time.GetUtcNow();

        // A tick short of the minute: counted, not logged.
        Time.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(1));
        PushNumbers(client, 1, 1);
        await FailedAsync(client, faults, 2);
        faults.Last().Should().Be(first + TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(1), "the second write failed then");
        Lines(logs).Should().ContainSingle("event 4006 is written at most once a minute");

        // The next failure, once the disk is due to be tried again: logged, with both failures since the line before.
        Time.Advance(DurableQueue.DiskRetryInterval);
        PushNumbers(client, 2, 1);
        await FailedAsync(client, faults, 3);
        var second = Time.GetUtcNow();
        Lines(logs).Should().HaveCount(2).And.Subject.Last().Should().Contain("; 2 failure(s) since the last report");

        // Exactly a minute after that line: logged.
        Time.Advance(TimeSpan.FromMinutes(1));
        PushNumbers(client, 3, 1);
        await FailedAsync(client, faults, 4);
        faults.Last().Should().Be(second + TimeSpan.FromMinutes(1));
        Lines(logs).Should().HaveCount(3, "a minute after the line before, the next failure is logged").And.Subject.Last().Should().Contain("; 1 failure(s) since the last report");
    }

    private static List<string> Lines(RecordingLoggerFactory logs) => logs.Entries.Where(e => e.EventId == WriteFailed).Select(e => e.Message).ToList();

    // The writer's turn for what was pushed, waited for on real time: the fake clock stands still, so the write fails when
    // the test says.
    private static async Task FailedAsync(GrowlyticsClient client, System.Collections.Concurrent.ConcurrentQueue<DateTimeOffset> faults, int count)
    {
        await client.Durable!.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        faults.Should().HaveCount(count, "the write of what was pushed failed");
    }
}
