using System.Net;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// With storage, a 413 splits a batch; when the first half runs out of retries it is kept (to be tried later), and the
/// second half must not be delivered before it: one user's messages would reach the service out of call order.
/// </summary>
public sealed class SplitKeptOrderTests : StorageTestBase
{
    [Fact]
    public async Task SplitBatch_FirstHalfKept_SecondHalfOfTheSameUserIsNotDeliveredBeforeIt()
    {
        // 413 to any request of more than one message; 503 once to 0 alone (a passing outage for the first half).
        var refusedZero = 0;
        var handler = new NumberHandler
        {
            Refuse = numbers => numbers.Count > 1 ? HttpStatusCode.RequestEntityTooLarge
                : numbers[0] == 0 && Interlocked.Exchange(ref refusedZero, 1) == 0 ? HttpStatusCode.ServiceUnavailable
                : null,
        };
        var client = NewClient(new StorageCollector(), o => o.HttpClient = new HttpClient(handler));
        try
        {
            await DriveUntilAsync(() => client.Durable!.IsOwner, TimeSpan.FromMilliseconds(100));

            // One user (one partition): 0 then 1, in one batch.
            PushNumbers(client, 0, 2);
            var flush = client.FlushAsync();
            await DriveUntilAsync(() => client.Statistics.Delivered == 2, TimeSpan.FromMilliseconds(500), () => $"accepted {string.Join(",", handler.Accepted)}; pending {client.Statistics.Pending}");

            handler.Accepted.Should().Equal([0L, 1L], "one user's messages arrive in call order");
        }
        finally
        {
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
            await client.DisposeAsync();
        }
    }
}
