using System.Net;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A flush asked for while the disk fails counts the messages memory delivers. When the disk works again, the messages
/// staged in memory in no request go to the folder (to be sent from there, read back as new): the flush still waits for
/// their delivery (README: <c>FlushAsync</c> writes everything before it to disk, then waits for its delivery), not only
/// for the messages that stayed in memory.
/// </summary>
public sealed class FlushAcrossDiskBackTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Flush_DiskBackHandsStagedMessagesToTheFolder_WaitsForTheirDelivery()
    {
        var collector = new TwoGateCollector();
        var diskFull = 1;
        var client = NewClient(new StorageCollector(), o =>
        {
            o.HttpClient = new HttpClient(collector);
            o.MaxBatchSize = 1;
            o.MaxConcurrentRequests = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
            o.StorageWriteFault = () => Volatile.Read(ref diskFull) == 1 ? new IOException("No space left on device", 28) : null;
        });
        try
        {
            await DriveUntilAsync(() => client.Durable!.IsOwner, Step);

            // The disk is full: three customers' updates go to memory; customer 0's request is on its way (held by the
            // service), the two others wait in memory for the one request slot.
            UpdateCustomerNumbers(client, 0, 3);
            await DriveUntilAsync(() => collector.InFlight == 1 && client.Memory.SentWithoutStorage, Step);
            var flush = client.FlushAsync();

            // The disk has room again: found by a write of the writer's own, it takes the two staged updates.
            Volatile.Write(ref diskFull, 0);
            var back = Time.GetUtcNow();
            await DriveUntilAsync(() => Time.GetUtcNow() - back >= DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(1) && client.Durable!.Pending == 2, Step, () => $"stored pending {client.Durable!.Pending}");

            // Customer 0's update is delivered; the two others go from the folder, and the service holds them.
            collector.OpenFirst.TrySetResult(true);
            await DriveUntilAsync(() => collector.Delivered.Contains(0) && collector.InFlight == 1, Step, () => $"delivered {string.Join(",", collector.Delivered)}, in flight {collector.InFlight}");
            var end = DateTime.UtcNow + TimeSpan.FromSeconds(1.5);
            while (DateTime.UtcNow < end && !flush.IsCompleted)
            {
                Time.Advance(Step);
                await Task.Delay(10);
            }

            flush.IsCompleted.Should().BeFalse(
                "updates 1 and 2 were accepted before the flush and are not delivered (delivered {0}, pending {1})",
                client.Statistics.Delivered,
                client.Statistics.Pending);

            collector.OpenOthers.TrySetResult(true);
            await DriveUntilAsync(() => flush.IsCompleted, Step);
            await flush;
            client.Statistics.Delivered.Should().Be(3);
            collector.Delivered.Should().BeEquivalentTo([0L, 1L, 2L]);
        }
        finally
        {
            collector.OpenFirst.TrySetResult(true);
            collector.OpenOthers.TrySetResult(true);
            await ShutDownDrivingAsync(client, Step);
        }

        ShouldBeBalanced(client.Statistics);
    }

    /// <summary>Holds requests carrying number 0 until <see cref="OpenFirst"/>, the others until <see cref="OpenOthers"/>.</summary>
    private sealed class TwoGateCollector : HttpMessageHandler
    {
        private readonly List<long> _delivered = [];
        private int _inFlight;

        public TaskCompletionSource<bool> OpenFirst { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<bool> OpenOthers { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int InFlight => Volatile.Read(ref _inFlight);

        public List<long> Delivered
        {
            get
            {
                lock (_delivered)
                {
                    return [.. _delivered];
                }
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var numbers = GatedCollector.NumbersIn(await request.Content!.ReadAsByteArrayAsync(cancellationToken));
            Interlocked.Increment(ref _inFlight);
            try
            {
                await (numbers.Contains(0) ? OpenFirst : OpenOthers).Task.WaitAsync(cancellationToken);
                lock (_delivered)
                {
                    _delivered.AddRange(numbers);
                }

                return new HttpResponseMessage(HttpStatusCode.OK);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }
}
