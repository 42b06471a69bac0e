using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Customers;

/// <summary>
/// With the batch protocol a request waits to fill or for the flush interval, unless the queue is full. A
/// <see cref="GrowlyticsCustomers.UpdateAsync(string, IReadOnlyDictionary{string, object?}, CancellationToken)"/> call
/// whose update is larger than the queued messages' average found no room while the queue still had room for one more
/// message of that average: the queue did not count as full, so the woken delivery loop went back to waiting for the
/// flush interval, while every fire-and-forget call was dropped for the waiting one. The fake clock never moves here,
/// so no flush interval passes: the call must get its room from what the loop sends.
/// </summary>
public sealed class AwaitedCallLargerThanAverageTests
{
    [Fact]
    public async Task UpdateAsync_LargerThanTheAverageQueuedMessage_GetsRoomWithoutWaitingForTheFlushInterval()
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueBytes = 64 * 1024);

        // Fewer than a request's worth: the loop waits to fill a request.
        for (var i = 0; i < 30; i++)
        {
            h.Client.Customers.Update("web-" + i, new Dictionary<string, object?> { ["n"] = (long)i });
        }

        var large = Enumerable.Range(0, 60).ToDictionary(i => "field" + i, i => (object?)new string('x', 500));
        var call = h.Client.Customers.UpdateAsync("job-1", large).AsTask();
        call.IsCompleted.Should().BeFalse("the large update does not fit beside the queued ones: it waits for room");

        // The clock stands still, so a call left to wait for the flush interval would never complete: waited for within the
        // harness's generous real-time bound, not a fixed few seconds that a busy machine's delivery loop may not fill.
        var completed = await Task.WhenAny(call, Task.Delay(DeliveryHarness.RealTimeout)) == call;
        completed.Should().BeTrue("the waiting call makes the queue full: the loop sends what it holds, no flush interval passes");
        h.Time.GetUtcNow().Should().Be(DeliveryHarness.Start);
        await call;

        await h.FlushAsync();
        h.Client.Statistics.Delivered.Should().Be(31);
        h.Client.Statistics.Dropped.Should().Be(0);
    }
}
