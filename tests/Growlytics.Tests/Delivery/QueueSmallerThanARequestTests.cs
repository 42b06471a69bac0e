using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// With the batch protocol a request waits to fill (<see cref="GrowlyticsOptions.MaxBatchSize"/> messages) or for the
/// flush interval; a <see cref="GrowlyticsOptions.MaxQueueBytes"/> that holds fewer messages than a request (64 KB holds
/// about 85 3-attribute updates) must not make every request wait for the interval while calls are refused for room:
/// a full queue sends what it holds. The fake clock never moves here, so no flush interval passes.
/// </summary>
public sealed class QueueSmallerThanARequestTests
{
    [Fact]
    public async Task Push_QueueBoundHoldsLessThanARequest_AFullQueueSendsWithoutWaitingForTheFlushInterval()
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueBytes = 64 * 1024);
        for (var i = 0; i < 3_000; i++)
        {
            Push(h, i);
            if (i % 50 == 49)
            {
                // The loop sends meanwhile.
                await Task.Delay(1);
            }
        }

        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered >= 1_000);
        h.Time.GetUtcNow().Should().Be(DeliveryHarness.Start, "no flush interval passed");
        await h.FlushAsync();
        h.AssertBalanced();
    }

    [Fact]
    public async Task UpdateAsync_QueueBoundHoldsLessThanARequest_EveryCallGetsRoomWithoutTheFlushInterval()
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueBytes = 64 * 1024);
        var calls = Enumerable.Range(0, 4).Select(async task =>
        {
            for (var i = 0; i < 250; i++)
            {
                await h.Client.Customers.UpdateAsync("customer-" + task, new Dictionary<string, object?> { ["n"] = (long)i, ["plan"] = "pro", ["city"] = "Pune" });
            }
        });

        await Task.WhenAll(calls).WaitAsync(DeliveryHarness.RealTimeout);
        h.Time.GetUtcNow().Should().Be(DeliveryHarness.Start, "no flush interval passed");
        await h.FlushAsync();
        h.Client.Statistics.Delivered.Should().Be(1_000);
    }

    private static void Push(DeliveryHarness h, int n)
    {
        using (h.Client.BeginScope("anon-" + (n % 50)))
        {
            h.Client.User.Push(new Dictionary<string, object?> { ["n"] = (long)n, ["plan"] = "pro", ["city"] = "Pune" });
        }
    }
}
