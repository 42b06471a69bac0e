using System.Net;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A client waiting to take over its folder delivers from memory, and a flush then waits for what memory holds. When the
/// folder is taken over, the records the previous client left there are read before anything this client accepted: the
/// flush must wait for them too, or it ends early, with a message accepted before it still unsent.
/// </summary>
public sealed class FlushBeforeTakeOverTests : StorageTestBase
{
    private const int TakenOver = 4012;
    private const int Restored = 150;
    private const int Own = 4400;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Flush_WhileWaitingToTakeOver_EndsOnlyAfterItsOwnMessages_SentAfterTheRestoredOnes()
    {
        // The first client leaves 150 records in the folder (its collector is down) and keeps the folder for now.
        var first = NewClient(new StorageCollector());
        for (var n = 0; n < Restored; n++)
        {
            first.Customers.Update("restored-" + n, new Dictionary<string, object?> { ["n"] = 100_000 + n });
        }

        var written = first.FlushAsync();
        await DriveUntilAsync(() => written.IsCompleted, Step);

        // The second client waits for the folder and delivers from memory meanwhile. Its collector answers one request per
        // permit and has none yet: the loop stages what it may (4,096 messages) and the rest stays unread in memory.
        var logs = new RecordingLoggerFactory();
        Task? flush = null;
        var collector = new PermitCollector(() => flush?.IsCompleted == true);
        await using var second = NewClient(new StorageCollector(), o =>
        {
            o.HttpClient = new HttpClient(collector);
            o.MaxConcurrentRequests = 2;
            o.RequestTimeout = TimeSpan.FromMinutes(10); // The collector's requests wait for permits while the clock moves.
            o.FlushInterval = TimeSpan.FromHours(1);
            o.LoggerFactory = logs;
            o.SessionMode = SessionMode.RequireScope;
        });
        for (var n = 0; n < Own; n++)
        {
            second.Customers.Update("customer", new Dictionary<string, object?> { ["n"] = n });
        }

        flush = second.FlushAsync();
        await DriveUntilAsync(() => Volatile.Read(ref collector.Waiting) > 0, Step);
        await Task.Delay(200);

        // The first client lets go; the second takes the folder over and restores its records.
        var released = first.DisposeAsync().AsTask();
        await DriveUntilAsync(() => released.IsCompleted && logs.Entries.Any(e => e.EventId == TakenOver), Step);
        second.Statistics.Restored.Should().Be(Restored);

        // One request at a time, each settled before the next goes: none with a message of this client may come after the
        // flush ended.
        while (Settled(second) < Own + Restored)
        {
            var before = Settled(second);
            collector.Permits.Release();
            await DriveUntilAsync(() => Settled(second) > before, Step);
        }

        await DriveUntilAsync(() => flush.IsCompleted, Step);
        second.Statistics.Dropped.Should().Be(0, "the restored records are delivered too, not passed by when the client writes first");
        collector.Numbers.Should().HaveCount(Own + Restored);
        collector.NumbersAfterFlush.Should().BeEmpty("every message accepted before the flush is sent before it ends");
    }

    private static long Settled(GrowlyticsClient client) => client.Statistics.Delivered + client.Statistics.Dropped;

    /// <summary>Answers one request per permit, noting whether the flush had ended when it answered.</summary>
    private sealed class PermitCollector(Func<bool> flushEnded) : HttpMessageHandler
    {
        public readonly SemaphoreSlim Permits = new(0);
        public int Waiting;
        private readonly object _gate = new();
        private readonly List<long> _numbers = [];
        private readonly List<long> _numbersAfterFlush = [];

        public IReadOnlyList<long> Numbers => Read(_numbers);

        public IReadOnlyList<long> NumbersAfterFlush => Read(_numbersAfterFlush);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var numbers = GatedCollector.NumbersIn(await request.Content!.ReadAsByteArrayAsync(cancellationToken));
            Interlocked.Increment(ref Waiting);
            await Permits.WaitAsync(cancellationToken);
            lock (_gate)
            {
                _numbers.AddRange(numbers);
                if (flushEnded())
                {
                    _numbersAfterFlush.AddRange(numbers.Where(n => n < Own));
                }
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }

        private IReadOnlyList<long> Read(List<long> list)
        {
            lock (_gate)
            {
                return [.. list];
            }
        }
    }
}
