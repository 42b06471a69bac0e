using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// docs/wire-protocol.md, Batching: "A message that does not fit starts the next batch". A partition whose next message
/// does not fit in the request being built is taken up first by the next one: it is not put behind every user listed
/// since.
/// </summary>
public sealed class MessageThatDoesNotFitStartsTheNextBatchTests
{
    [Fact]
    public async Task Send_OtherUsersMessageDoesNotFit_ItStartsTheNextRequestBeforeUsersQueuedAfterIt()
    {
        await using var h = new DeliveryHarness(
            o =>
            {
                o.MaxBatchSize = 100;

                // Room for about 1,000 bytes of messages per request.
                o.MaxBatchBytes = 512 + 1000;
                o.MaxConcurrentRequests = 1;
                o.FlushInterval = TimeSpan.FromHours(1);
            },
            startDelivery: false);

        // a: ~400 bytes; b: ~650 bytes, does not fit beside a; then users c to f, ~300 bytes each, queued after b.
        h.Push(1, "anon-a", text: new string('a', 200));
        h.Push(2, "anon-b", text: new string('b', 450));
        h.Push(3, "anon-c", text: new string('c', 100));
        h.Push(4, "anon-d", text: new string('d', 100));
        h.Push(5, "anon-e", text: new string('e', 100));
        h.Push(6, "anon-f", text: new string('f', 100));
        h.Client.Dispatcher.Start();
        await h.FlushAsync();

        var requests = h.Requests;
        requests[0].Numbers.Should().Equal(1);
        requests[1].Numbers.Should().StartWith(2, "b's message did not fit beside a's: it starts the next request, ahead of users queued after it");
        requests.SelectMany(r => r.Numbers).Should().BeEquivalentTo([1, 2, 3, 4, 5, 6]);
        h.AssertBalanced().Delivered.Should().Be(6);
    }
}
