using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// <see cref="QueueOverflowPolicy.DropOldest"/> with <c>StorageDirectory</c> while memory delivers (another client holds
/// the folder): as without storage, delivery must not take the whole queue into a blocked partition, or nothing is left
/// to drop as the oldest and every new call is dropped instead.
/// </summary>
public sealed class DropOldestMemoryDeliversWithStorageTests
{
    [Fact]
    public Task DropOldest_FolderHeldByAnotherClient_SmallQueueFullBehindABlockedPartition_KeepsTheNewestCalls() =>
        DeliveryHarness.WithStorageHeldByAnotherClientAsync(
            o =>
            {
                // A queue far smaller than the loop's usual stage (4,096 messages): a quarter of it may be taken.
                o.MaxBatchSize = 10;
                o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest;
                o.MaxQueueSize = 100;
            },
            async h =>
            {
                var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                h.Responder = async _ =>
                {
                    await gate.Task;
                    return new HttpResponseMessage(HttpStatusCode.OK);
                };

                for (var i = 0; i < 100; i++)
                {
                    h.Push(i, "anon-a");
                }

                // One request held and the next written ahead behind it: a quarter of the queue taken, the rest unread.
                await DeliveryHarness.WaitUntilAsync(() =>
                    h.Requests.Count >= 1 && h.Client.Dispatcher.WrittenAheadWaiting == 1 && h.Client.Queue.Unread <= 100 - 25);
                await Task.Delay(100);
                var unread = h.Client.Queue.Unread;
                unread.Should().BeGreaterThanOrEqualTo(75, "delivery takes a quarter of the queue at most while memory delivers, as without storage");

                for (var i = 100; i < 200; i++)
                {
                    h.Push(i, "anon-a");
                }

                h.Client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(100);
                gate.SetResult();
                await h.FlushAsync();
                var delivered = h.Accepted.SelectMany(r => r.Numbers).ToHashSet();
                delivered.Should().HaveCount(100).And.Contain(199, "the newest call is never the one a full DropOldest queue drops");
                delivered.Where(n => n >= 100).Should().BeEquivalentTo(
                    Enumerable.Range(200 - unread, unread).Select(n => (long)n), "the oldest unread were dropped each time");
            });
}
