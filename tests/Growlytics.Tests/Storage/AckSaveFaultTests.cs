namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A fault other than an I/O error while saving the acknowledged position is handled like an I/O error there: reported
/// once per interval (with its stack, as it may be a defect), and the writer still stops at shutdown, which completes
/// without throwing.
/// </summary>
public sealed class AckSaveFaultTests : StorageTestBase
{
    private const int WriteFailed = 4006;
    private const int UnexpectedFault = 4010;
    private const int AckFailed = 4015;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task NonIOFaultSavingTheAck_LoggedOnce_ShutdownCompletesAndTheWriterStops()
    {
        // The last number is refused (one message a request): its segment stays (a segment whose records are all settled
        // is deleted, with no position left to save), and the position moves up to it.
        var collector = new StorageCollector { Up = false, Refuse = numbers => numbers.Contains(4) };
        var failing = 0;
        var logs = new RecordingLoggerFactory();
        var client = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.MaxBatchSize = 1;
            o.StorageWriteFault = () => Volatile.Read(ref failing) == 1 ? new InvalidOperationException("unforeseen") : null;
        });

        // Stored while the service is down; then the fault starts and the messages are delivered, which moves the
        // acknowledged position the writer must save at every commit.
        PushNumbers(client, 0, 5);
        var stored = client.FlushAsync();
        await DriveUntilAsync(() => stored.IsCompleted, Step);
        Volatile.Write(ref failing, 1);
        collector.Up = true;
        await DriveUntilAsync(() => client.Statistics.Delivered == 4, Step);
        for (var i = 0; i < 10; i++)
        {
            Time.Advance(Step);
            await Task.Delay(20);
        }

        var shutdown = client.ShutdownAsync();
        await DriveUntilAsync(() => shutdown.IsCompleted, Step);
        await shutdown;
        var atShutdown = logs.Entries.Count;
        for (var i = 0; i < 10; i++)
        {
            Time.Advance(Step);
            await Task.Delay(20);
        }

        logs.Entries.Count(e => e.EventId == AckFailed).Should().Be(1, "a repeating fault is logged once per interval, not at every commit");
        logs.Entries.Count(e => e.EventId == UnexpectedFault).Should().Be(1, "with its stack, once per report");
        logs.Entries.Should().NotContain(e => e.EventId == WriteFailed, "writing records still works: only the position could not be saved");
        logs.Entries.Count.Should().Be(atShutdown, "the writer stopped with the client");
        ShouldBeBalanced(client.Statistics);
        client.Statistics.Delivered.Should().Be(4);
        client.Statistics.Pending.Should().Be(1, "the refused message stays in the folder");
    }

    [Fact]
    public async Task DiskFullSavingTheAck_TheLogSaysTheDiskIsFull()
    {
        var collector = new StorageCollector { Up = false, Refuse = numbers => numbers.Contains(4) };
        var failing = 0;
        var logs = new RecordingLoggerFactory();
        await using var client = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.MaxBatchSize = 1;
            o.StorageWriteFault = () => Volatile.Read(ref failing) == 1 ? new IOException("no space", 28) : null;
        });

        PushNumbers(client, 0, 5);
        var stored = client.FlushAsync();
        await DriveUntilAsync(() => stored.IsCompleted, Step);
        Volatile.Write(ref failing, 1);
        collector.Up = true;
        await DriveUntilAsync(() => client.Statistics.Delivered == 4 && logs.Entries.Any(e => e.EventId == AckFailed), Step);

        var line = logs.Entries.Should().ContainSingle(e => e.EventId == AckFailed).Which.Message;
        line.Should().Contain("IOException").And.Contain("the disk is full", "ENOSPC is a full disk, which the user can act on");
    }

    [Fact]
    public async Task SavingTheAckFailsAgainATickShortOfAMinuteAfterTheLine_WaitsForTheNextLine_AtTheMinuteItIsLoggedWithTheFailuresSince()
    {
        var collector = new StorageCollector { Up = false, Refuse = numbers => numbers.Contains(4) };
        var failing = 0;
        var faults = new System.Collections.Concurrent.ConcurrentQueue<DateTimeOffset>();
        var logs = new RecordingLoggerFactory();
        await using var client = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.MaxBatchSize = 1;
            o.StorageWriteFault = () =>
            {
                if (Volatile.Read(ref failing) == 0)
                {
                    return null;
                }

                faults.Enqueue(Time.GetUtcNow());
                return new IOException("position not saved", 5);
            };
        });

        // Stored while the service is down; delivered while saving the position fails (nothing is written meanwhile).
        PushNumbers(client, 0, 5);
        var stored = client.FlushAsync();
        await DriveUntilAsync(() => stored.IsCompleted, Step);
        Volatile.Write(ref failing, 1);
        collector.Up = true;
        // The clock stops at the first fault; it may still move once between the fault and its line (a step taken just
        // as the fault came), so the next line's time is read from the writer: a minute after the line.
        await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == AckFailed), Step, static () => string.Empty, () => faults.IsEmpty);
        var firstFault = faults.First();
        Time.TimestampFrequency.Should().Be(TimeSpan.TicksPerSecond, "the fake clock's timestamps are its time's ticks");
        var untilNextLine = TimeSpan.FromTicks(client.Durable!.AckFailureNextLogTimestamp - Time.GetTimestamp());
        var nextLine = Time.GetUtcNow() + untilNextLine;
        (nextLine - firstFault).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMinutes(1)).And.BeLessThanOrEqualTo(TimeSpan.FromMinutes(1) + Step, "event 4015 is written at most once a minute");
        await DriveUntilAsync(() => client.Statistics.Delivered == 4, Step, static () => string.Empty, () => Time.GetUtcNow() + Step < nextLine);

        // Each writer's turn tries the position again and fails: a tick short of a minute after the line, not logged. A
        // flush ends in its turn's commit, before that turn saves the position: the second, taken by the next turn, ends
        // after that save.
        Time.Advance(nextLine - TimeSpan.FromTicks(1) - Time.GetUtcNow());
        await client.Durable!.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await client.Durable!.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        faults.Last().Should().Be(nextLine - TimeSpan.FromTicks(1), "the writer's turns failed to save the position then");
        logs.Entries.Count(e => e.EventId == AckFailed).Should().Be(1, "event 4015 is written at most once a minute");

        // At the minute the next turn's failure is logged (the clock stays there while the test waits for the line).
        Time.Advance(TimeSpan.FromTicks(1));
        var turn = client.Durable!.FlushAsync(CancellationToken.None);
        await DriveUntilAsync(() => logs.Entries.Count(e => e.EventId == AckFailed) == 2, Step, static () => string.Empty, static () => false);
        await turn.WaitAsync(TimeSpan.FromSeconds(30));
        var lines = logs.Entries.Where(e => e.EventId == AckFailed).ToList();
        lines.Should().HaveCount(2, "a minute after the line before, the next failure is logged once");

        // With the failures since the line before: at least the two turns' a tick short of the minute and the one at the
        // minute, and not the first line's own (the hook also fails the writer's other writes, counted elsewhere, so the
        // exact figure is not known here).
        var since = int.Parse(System.Text.RegularExpressions.Regex.Match(lines[1].Message, @"; (\d+) failure\(s\) since the last report").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        since.Should().BeInRange(3, faults.Count(at => at < nextLine), "the line counts the failures since the line before");
        faults.Count.Should().BeGreaterThan(2);
    }
}
