namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// DropOldest with StorageDirectory: a failed disk write hands the writer's round back to memory. Those messages are out
/// of the queue's unread ones but still in its count: delivery must read and send them, not take them for its own (a
/// bound on what delivery holds that counted them stopped delivery for good).
/// </summary>
public sealed class DropOldestHandedBackTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(QueueOverflowPolicy.DropNewest)]
    [InlineData(QueueOverflowPolicy.DropOldest)]
    public async Task FailedWriteHandsBackAQuarterOfTheQueue_TheHandedBackMessagesAreDelivered(QueueOverflowPolicy policy)
    {
        var collector = new StorageCollector { Up = true };
        using var writing = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var appends = 0;
        var client = NewClient(collector, o =>
        {
            o.QueueOverflowPolicy = policy;
            o.MaxQueueBytes = 64 * 1024;
            o.FlushInterval = TimeSpan.FromMilliseconds(500);
            o.BeforeStorageAppend = () =>
            {
                var n = Interlocked.Increment(ref appends);
                if (n == 1)
                {
                    // The first write (one message) is held while the burst comes in, then succeeds.
                    writing.Set();
                    release.Wait(TimeSpan.FromSeconds(30));
                    return;
                }

                // The disk fails from then on: the whole next round goes back to memory.
                throw new IOException("No space left on device");
            };
        });

        try
        {
            PushNumbers(client, 0, 1);
            var driving = Task.Run(() => DriveUntilAsync(() => writing.IsSet, Step));
            writing.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
            await driving;

            // 80 messages of ~350 estimated bytes: ~28 KB, more than a quarter of MaxQueueBytes (16 KB), within the queue.
            PushNumbers(client, 1, 80);
            client.Statistics.Dropped.Should().Be(0);
            release.Set();

            await DriveUntilAsync(() => Volatile.Read(ref appends) >= 2, Step);
            await DriveUntilAsync(
                () => client.Statistics.Delivered == 81,
                Step,
                () => $"delivered {client.Statistics.Delivered}, pending {client.Statistics.Pending}, queue count {client.Queue.Count}, unread {client.Queue.Unread}");
            collector.Numbers.Should().HaveCount(81);
            ShouldBeBalanced(client.Statistics);
        }
        finally
        {
            release.Set();
            await ShutDownDrivingAsync(client, Step);
        }
    }
}
