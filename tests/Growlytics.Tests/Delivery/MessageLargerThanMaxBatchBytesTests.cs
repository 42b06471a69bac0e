using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// <see cref="GrowlyticsOptions.MaxBatchBytes"/> (docs/wire-protocol.md, Batching): "a message larger than the limit alone is
/// still sent, alone". A message may hold up to 256 attributes of 512 characters: far more than the least the option takes
/// (1 KB). Such a message is neither dropped nor left waiting, and takes no other message into its request.
/// </summary>
public sealed class MessageLargerThanMaxBatchBytesTests
{
    [Fact]
    public async Task Send_MessageLargerThanMaxBatchBytes_GoesAloneInItsOwnRequest_AndTheOthersAroundIt()
    {
        await using var h = new DeliveryHarness(
            o =>
            {
                o.MaxBatchBytes = 1024; // the least: 512 bytes of messages beside the envelope's allowance
                o.MaxConcurrentRequests = 1;
                o.FlushInterval = TimeSpan.FromHours(1);
            },
            startDelivery: false);

        h.Push(1, "anon-a");
        using (h.Client.BeginScope("anon-b"))
        {
            var text = new string('b', 500);
            h.Client.User.Push(new Dictionary<string, object?> { ["n"] = 2L, ["first"] = text, ["second"] = text, ["third"] = text });
        }

        h.Push(3, "anon-c");
        h.Client.Dispatcher.Start();
        await h.FlushAsync();

        var large = h.Requests.Should().ContainSingle(r => r.Numbers.Contains(2L)).Which;
        large.Numbers.Should().Equal([2L], "the message does not fit beside another");
        large.Json.Length.Should().BeGreaterThan(1024, "its JSON alone is larger than MaxBatchBytes");
        h.Requests.SelectMany(r => r.Numbers).Should().BeEquivalentTo([1L, 2L, 3L]);
        h.AssertBalanced().Delivered.Should().Be(3);
    }
}
