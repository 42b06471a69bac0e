using GrowlyticsSdk;

namespace Growlytics.Benchmarks.Infrastructure;

/// <summary>Clients for the caller-side benchmarks.</summary>
internal static class Clients
{
    /// <summary>
    /// A client whose delivery loop is never started: nothing runs on another thread, so time and allocations
    /// are the caller's alone. The queue is large enough for one iteration; <see cref="Drain"/> empties it.
    /// </summary>
    public static GrowlyticsClient WithoutDelivery() => new(
        new GrowlyticsOptions
        {
            ApiKey = "benchmark-key",
            Endpoint = new Uri("http://127.0.0.1:9/"),
            Protocol = GrowlyticsProtocol.Batch,
            MaxQueueSize = Jobs.CallsPerIteration * 4,
            MaxQueueBytes = 4L * 1024 * 1024 * 1024,
            FlushOnProcessExit = false,
        },
        startDelivery: false);

    /// <summary>
    /// Empties the queue. With <paramref name="recycle"/> the messages go back to the calls' pool as delivered ones do, so
    /// the next iteration's calls reuse them (a client whose messages are being delivered); without, the next iteration's
    /// calls allocate theirs (a burst larger than anything delivered before).
    /// </summary>
    public static void Drain(GrowlyticsClient client, bool recycle = true)
    {
        while (client.Queue.TryRead(out var message))
        {
            client.Queue.Release(GrowlyticsSdk.Delivery.MessageSize.Estimate(message));
            if (recycle)
            {
                client.MessagePool.Return(message);
            }
        }

        // The drop counters themselves: the statistics snapshot waits for figures that balance, and taking messages out
        // behind the engine's back leaves them unbalanced.
        if (GrowlyticsSdk.Diagnostics.DeliveryCounters.AllReasons.Any(reason => client.Counters.GetDropped(reason) != 0))
        {
            throw new InvalidOperationException("The benchmark queue overflowed: the figures would include the drop path.");
        }
    }
}
