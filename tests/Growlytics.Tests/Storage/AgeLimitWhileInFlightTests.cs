using System.Net;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <see cref="GrowlyticsOptions.MaxStorageAge"/> checked at each writer turn, with nothing new written: a segment that
/// expires while its records are in a request is counted once, by the request's answer (delivered if the service took
/// them, dropped as expired if not); the segment being written that expires while idle leaves the folder usable.
/// </summary>
public sealed class AgeLimitWhileInFlightTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(500);

    [Theory]
    [InlineData(HttpStatusCode.OK)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task SegmentExpiresWhileItsRecordsAreInARequest_TheAnswerCountsThemOnce(HttpStatusCode answer)
    {
        var service = new HeldService();
        await using var client = NewClient(new StorageCollector(), o =>
        {
            o.HttpClient = new HttpClient(service);
            o.MaxStorageAge = TimeSpan.FromMinutes(1);
        });
        PushNumbers(client, 0, 10);
        await DriveUntilAsync(() => service.Arrived.Count == 10, Step, () => $"arrived {service.Arrived.Count}");

        // Past the age limit with the request held: the writer drops the segment (the only one) while it is on its way.
        var start = Time.GetUtcNow();
        await DriveUntilAsync(() => Time.GetUtcNow() - start > TimeSpan.FromSeconds(75) && SegmentFiles().Length == 0, Step);
        client.Statistics.Pending.Should().Be(10, "the request has not been answered");

        service.Answer(answer);
        await DriveUntilAsync(() => client.Statistics.Pending == 0, Step, () => $"pending {client.Statistics.Pending}");
        var statistics = client.Statistics;
        ShouldBeBalanced(statistics);
        if (answer == HttpStatusCode.OK)
        {
            statistics.Delivered.Should().Be(10, "the service took them before they were dropped");
            statistics.Dropped.Should().Be(0);
        }
        else
        {
            statistics.Delivered.Should().Be(0);
            statistics.DroppedByReason[DropReason.Expired].Should().Be(10, "not taken, and older than MaxStorageAge");
            statistics.Dropped.Should().Be(10);
        }

        // Nothing is sent again, nor left in the folder for the next start.
        service.Answer(HttpStatusCode.OK);
        var arrived = service.Arrived.Count;
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);
        service.Arrived.Should().HaveCount(arrived);
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(0);
    }

    [Fact]
    public async Task SegmentExpiresWhileItsRecordsAreInARequest_FiguresBalanceBeforeTheirReaderIsTold()
    {
        var service = new HeldService();
        await using var client = NewClient(new StorageCollector(), o =>
        {
            o.HttpClient = new HttpClient(service);
            o.MaxStorageAge = TimeSpan.FromMinutes(1);
        });

        // A snapshot read once, on the writer's thread, after the store dropped the records and before their reader is
        // told: nothing can close a gap between those two steps meanwhile, as a thread paused there would not.
        var store = client.Durable!;
        var reader = store.OutstandingDropped!;
        GrowlyticsStatistics? beforeReader = null;
        store.OutstandingDropped = (records, reason) =>
        {
            beforeReader ??= client.Counters.Snapshot(() => client.Dispatcher.Pending, attempts: 1);
            reader(records, reason);
        };

        PushNumbers(client, 0, 10);
        await DriveUntilAsync(() => service.Arrived.Count == 10, Step, () => $"arrived {service.Arrived.Count}");
        await DriveUntilAsync(() => beforeReader is not null, Step, () => $"segments {SegmentFiles().Length}");

        ShouldBeBalanced(beforeReader!);
        beforeReader!.Pending.Should().Be(10, "the request has not been answered");

        service.Answer(HttpStatusCode.OK);
        await DriveUntilAsync(() => client.Statistics.Pending == 0, Step, () => $"pending {client.Statistics.Pending}");
        ShouldBeBalanced(client.Statistics);
        client.Statistics.Delivered.Should().Be(10);
    }

    [Fact]
    public async Task SegmentBeingWrittenExpiresWhileIdle_LaterCallsAreStoredAndDelivered()
    {
        var collector = new StorageCollector();
        var client = NewClient(collector, o => o.MaxStorageAge = TimeSpan.FromMinutes(1));
        try
        {
            PushNumbers(client, 0, 5);
            await WrittenAsync(client);

            var start = Time.GetUtcNow();
            await DriveUntilAsync(() => Time.GetUtcNow() - start > TimeSpan.FromSeconds(75) && client.Statistics.Pending == 0, Step);
            client.Statistics.DroppedByReason[DropReason.Expired].Should().Be(5);

            PushNumbers(client, 5, 5);
            await WrittenAsync(client);
            SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(5, "later calls are written to a new segment");
            collector.Up = true;
            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, Step);

            ShouldBeBalanced(client.Statistics);
            client.Statistics.Delivered.Should().Be(5);
            collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(5, 5).Select(n => (long)n));
        }
        finally
        {
            await ShutDownDrivingAsync(client, Step);
        }

        // The next start finds nothing left to send.
        await using var next = NewClient(collector);
        var nextFlush = next.FlushAsync();
        await DriveUntilAsync(() => nextFlush.IsCompleted, Step);
        next.Statistics.Enqueued.Should().Be(0);
        collector.Messages.Should().HaveCount(5, "nothing is sent twice");
    }

    /// <summary>Records what arrives, then holds each request until <see cref="Answer"/> gives the status to answer with.</summary>
    private sealed class HeldService : HttpMessageHandler
    {
        private readonly object _gate = new();
        private readonly List<long> _arrived = [];
        private TaskCompletionSource<HttpStatusCode> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<long> Arrived
        {
            get
            {
                lock (_gate)
                {
                    return [.. _arrived];
                }
            }
        }

        public void Answer(HttpStatusCode status)
        {
            lock (_gate)
            {
                if (!_answer.TrySetResult(status))
                {
                    _answer = new TaskCompletionSource<HttpStatusCode>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _answer.SetResult(status);
                }
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var numbers = GatedCollector.NumbersIn(await request.Content!.ReadAsByteArrayAsync(cancellationToken));
            Task<HttpStatusCode> answer;
            lock (_gate)
            {
                _arrived.AddRange(numbers);
                answer = _answer.Task;
            }

            return new HttpResponseMessage(await answer.WaitAsync(cancellationToken));
        }
    }
}
