using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// 401/403 stop sending: a batch whose retry was waiting (its backoff after a 503) when another request's answer refused the
/// key went on the wire with the refused key once its backoff ended, during the 5 minutes sending is paused.
/// </summary>
public sealed class KeyRefusedRetryWaitingTests
{
    [Fact]
    public async Task RetryPendingWhenTheKeyIsRefused_IsNotSentWithTheRefusedKey()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 1;
            o.RetryBaseDelay = TimeSpan.FromSeconds(10);
            o.MaxRetryDelay = TimeSpan.FromSeconds(10);
        });
        h.Responder = r => Task.FromResult(new HttpResponseMessage(r.Index switch
        {
            1 => HttpStatusCode.ServiceUnavailable,
            2 => HttpStatusCode.Unauthorized,
            _ => HttpStatusCode.OK,
        }));

        h.Push(1, "user-one");
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1 && h.Requests[0].Status == 503);
        h.Push(2, "user-two");
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.DroppedByReason[DropReason.Unauthorized] == 1);

        // Well within the 5 minutes the key stays refused, past the retry's backoff.
        await h.RunAsync(h.Client.FlushAsync(), TimeSpan.FromMilliseconds(500));

        h.Requests.Should().HaveCount(2, "after a 401 nothing goes out with the refused key until it is tried again: " + string.Join(" | ", h.Requests));
        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.Unauthorized].Should().Be(2);
        stats.Delivered.Should().Be(0);

        // Once the key is tried again, sending resumes.
        h.Time.Advance(Dispatcher.KeyRetryInterval + TimeSpan.FromSeconds(1));
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Queue.Refusal is null);
        h.Push(3, "user-one");
        await h.FlushAsync();
        h.Requests.Should().HaveCount(3);
        h.AssertBalanced().Delivered.Should().Be(1);
    }
}
