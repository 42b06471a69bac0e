using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// <see cref="GrowlyticsStatistics.QueuedBytes"/> shows what counts toward <see cref="GrowlyticsOptions.MaxQueueBytes"/>:
/// the queued messages' estimate, and the bodies of the requests on their way.
/// </summary>
public sealed class QueuedBytesStatisticsTests
{
    private static readonly string Text = new('x', 300);

    [Fact]
    public async Task Statistics_MessagesQueued_QueuedBytesIsTheirEstimate()
    {
        await using var h = new DeliveryHarness(startDelivery: false);
        h.Client.Statistics.QueuedBytes.Should().Be(0);

        h.PushMany(10, text: Text);
        var ten = h.Client.Statistics.QueuedBytes;
        h.PushMany(10, from: 10, text: Text);
        var twenty = h.Client.Statistics.QueuedBytes;

        ten.Should().BeGreaterThan(10 * Text.Length, "each message holds its value");
        twenty.Should().Be(h.Client.Queue.EstimatedBytes).And.Be(2 * ten, "the twenty messages are the same size");
    }

    [Fact]
    public async Task Statistics_RequestsOnTheirWay_QueuedBytesCountsWhatTheirBodiesTakeBeyondTheMessagesUntilSettled()
    {
        // A code point Unicode has not assigned is written as an escape (6 bytes), where a message's estimate counts 2 for
        // it: the bodies count the difference themselves.
        var text = new string('\u0378', 300);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = TwentyUsersHeldUntil(gate.Task, text);

        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 4);
        var held = h.Client.Statistics;
        var messages = h.Client.Queue.EstimatedBytes;
        var bodies = h.Client.Queue.RequestBytes;

        messages.Should().BeGreaterThan(20 * 3 * text.Length, "each message counts its text (UTF-16) and its JSON (a byte a character)");
        bodies.Should().BeGreaterThan(20 * 3 * text.Length, "the four bodies hold four more bytes a character than their messages counted");
        held.QueuedBytes.Should().Be(messages + bodies);
        held.Pending.Should().Be(20);

        gate.SetResult();
        await h.FlushAsync();

        var settled = h.Client.Statistics;
        settled.Delivered.Should().Be(20);
        settled.QueuedBytes.Should().Be(0);
    }

    [Fact]
    public async Task Statistics_RequestsOnTheirWayWithAsciiText_TheirBodiesTakeNoRoomOfTheirOwn()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = TwentyUsersHeldUntil(gate.Task, Text);

        var queued = h.Client.Statistics.QueuedBytes;
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 4);

        h.Client.Queue.RequestBytes.Should().Be(0, "each message's estimate holds its JSON, and the small bodies are exact copies");
        h.Client.Statistics.QueuedBytes.Should().Be(queued);
        gate.SetResult();
        await h.FlushAsync();
        h.Client.Statistics.QueuedBytes.Should().Be(0);
    }

    // Twenty users' updates carrying text, in requests of 5 that the service answers once gate completes.
    private static DeliveryHarness TwentyUsersHeldUntil(Task gate, string text)
    {
        var h = new DeliveryHarness(o => o.MaxBatchSize = 5)
        {
            Responder = async _ =>
            {
                await gate;
                return new HttpResponseMessage(HttpStatusCode.OK);
            },
        };
        for (var i = 0; i < 20; i++)
        {
            h.Push(i, "anon-" + i, text);
        }

        return h;
    }
}
