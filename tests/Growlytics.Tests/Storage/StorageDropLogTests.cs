using System.Globalization;
using System.Text.RegularExpressions;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The line for stored messages a limit dropped (event 4007) is written at most once per interval and reason, and each
/// one carries every call dropped since the line before: those dropped while a line was held back, and stored messages
/// the bound dropped while they were on their way to the service (counted by their reader, not by the store).
/// </summary>
public sealed class StorageDropLogTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public void CountDropped_WithinTheInterval_NextLineCarriesTheDropsNotLoggedBefore()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var logs = new RecordingLoggerFactory();
        var limits = new StorageLimits(new GrowlyticsOptions { ApiKey = "test-key", TimeProvider = Time }, new DeliveryCounters(), logs);

        limits.CountDropped(DropReason.StorageFull, 5);
        limits.CountDropped(DropReason.StorageFull, 7);
        limits.CountDropped(DropReason.Expired, 2);
        Time.Advance(TimeSpan.FromSeconds(10));
        limits.CountDropped(DropReason.StorageFull, 1);

        DropLines(logs).Should().Equal(
            [(5L, "StorageFull"), (2L, "Expired"), (8L, "StorageFull")],
            "the 7 held back within the interval go in the next line, and each reason has its own line");
    }

    [Fact]
    public async Task SizeLimit_DroppingRecordsWhileTheyAreRead_LogsThemInTheDropLine()
    {
        var collector = new StorageCollector();
        var logs = new RecordingLoggerFactory();
        using var read = new HeldFirstRead();
        var client = NewClient(collector, o =>
        {
            o.MaxStorageBytes = 64 * 1024;
            o.LoggerFactory = logs;
            read.Apply(o, Time);
        });
        try
        {
            // The held read takes the records of the first segment; small rounds, each on disk before the next is pushed,
            // then make the bound drop that segment alone, so every record it drops is one being read, counted by the
            // reader once the read resumes. (Rounds the writer took together could drop a second segment, whose records
            // nobody reads: they are logged at once, and the read ones held back for the interval.)
            PushNumbers(client, 0, 50);
            await DriveUntilAsync(() => read.IsHeld, Step);
            var readSegment = SegmentFiles().First();
            for (var next = 50; File.Exists(readSegment); next += 5)
            {
                PushNumbers(client, next, 5);
                var stored = StoredAsync(client);
                await DriveUntilAsync(() => stored.IsCompleted, Step);
            }

            read.Release();
            await DriveUntilAsync(() => Volatile.Read(ref collector.Attempts) > 0, Step);

            var dropped = client.Statistics.DroppedByReason[DropReason.StorageFull];
            dropped.Should().BePositive();
            DropLines(logs).Where(l => l.Reason == "StorageFull").Sum(l => l.Count).Should().Be(dropped, "every dropped stored message is in the drop line, those being read included");
        }
        finally
        {
            read.Release();
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task SizeLimit_DroppingRecordsInARequestThatThenFails_LogsThemInTheDropLines()
    {
        var collector = new HeldFailingCollector();
        var logs = new RecordingLoggerFactory();
        var client = NewClient(new StorageCollector(), o =>
        {
            o.MaxStorageBytes = 64 * 1024;
            o.LoggerFactory = logs;
            o.HttpClient = new HttpClient(collector);
        });
        try
        {
            // The first request holds the first segment's records while small rounds make the bound drop that segment
            // alone: the drop waits for the request's answer, which then fails, so they are counted dropped only then.
            PushNumbers(client, 0, 50);
            await DriveUntilAsync(() => Volatile.Read(ref collector.Attempts) > 0, Step);
            var sentSegment = SegmentFiles().First();
            var next = await PushRoundsUntilAsync(client, 50, 5, () => !File.Exists(sentSegment), Step);
            client.Statistics.DroppedByReason[DropReason.StorageFull].Should().Be(0, "the records in the request are counted when it ends");
            collector.Fail.SetResult();
            await DriveUntilAsync(
                () => DropLines(logs).Count > 0,
                Step,
                () => $"No drop line (event 4007); {client.Statistics.DroppedByReason[DropReason.StorageFull]} message(s) counted StorageFull.");
            var countedBefore = client.Statistics.DroppedByReason[DropReason.StorageFull];

            // The line is written for the first message counted; the next line, an interval later, carries the rest.
            var lines = DropLines(logs).Count;
            Time.Advance(TimeSpan.FromSeconds(10));
            await PushRoundsUntilAsync(client, next, 5, () => DropLines(logs).Count > lines, Step);

            DropLines(logs).Where(l => l.Reason == "StorageFull").Sum(l => l.Count).Should().BeGreaterThanOrEqualTo(countedBefore, "every stored message dropped before a line is in that line or an earlier one, those in a request included");
        }
        finally
        {
            collector.Fail.TrySetResult();
            await client.DisposeAsync();
        }
    }

    private static List<(long Count, string Reason)> DropLines(RecordingLoggerFactory logs) =>
        logs.Entries
            .Where(e => e.EventId == 4007)
            .Select(e => Regex.Match(e.Message, @"^Dropped the oldest (\d+) stored message\(s\): (\w+)\.$", RegexOptions.None, TimeSpan.FromSeconds(1)))
            .Select(m => (long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value))
            .ToList();

    /// <summary>Holds every request until <see cref="Fail"/> completes, then fails it as a refused connection would.</summary>
    private sealed class HeldFailingCollector : HttpMessageHandler
    {
        public readonly TaskCompletionSource Fail = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Attempts;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Attempts);
            await Fail.Task.WaitAsync(cancellationToken);
            throw new HttpRequestException("Connection refused (test collector is down).");
        }
    }
}
