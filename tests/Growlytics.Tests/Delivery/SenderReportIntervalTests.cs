using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The sender's lines of what its answers did (event 2004: retries run out, 2005: a refusal of one kind, 2007: a 413 split
/// a request, 2008: a message too large on its own) are written at most once every 10 s, with a count since the line
/// before: one a tick short of 10 s after the line waits for the next one, which comes 10 s after it.
/// </summary>
public sealed class SenderReportIntervalTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(2004)]
    [InlineData(2005)]
    [InlineData(2007)]
    [InlineData(2008)]
    public async Task Answer_ATickShortOfTheIntervalAfterTheLine_WaitsForTheNextOne_TheIntervalAfterItIsWrittenWithIt(int eventId)
    {
        await using var h = new DeliveryHarness(o => o.MaxRetryAttempts = 0);
        h.Responder = r => Task.FromResult(new HttpResponseMessage(eventId switch
        {
            2004 => HttpStatusCode.ServiceUnavailable,
            2005 => HttpStatusCode.BadRequest,
            2007 => r.Messages.Count() > 1 ? HttpStatusCode.RequestEntityTooLarge : HttpStatusCode.OK,
            _ => HttpStatusCode.RequestEntityTooLarge,
        }));

        // The clock stands still while a request is answered: each flush completes once the loop settled what the sender
        // counted (and logged, when the interval allowed it) at that time.
        var sent = 0;
        async Task AnswerAsync()
        {
            h.Push(sent++);
            if (eventId == 2007)
            {
                // Two messages in one request: split, and each half delivered.
                h.Push(sent++);
            }

            await h.Client.FlushAsync().WaitAsync(DeliveryHarness.RealTimeout);
        }

        await AnswerAsync();
        h.Log.WithId(eventId).Should().ContainSingle();

        h.Time.Advance(Interval - TimeSpan.FromTicks(1));
        await AnswerAsync();
        h.Log.WithId(eventId).Should().ContainSingle($"event {eventId} is written at most once every 10 s")
            .Which.Fields["Count"].Should().Be(1L);

        h.Time.Advance(TimeSpan.FromTicks(1));
        await AnswerAsync();
        var lines = h.Log.WithId(eventId).ToList();
        lines.Should().HaveCount(2, "10 s after the line before, the next one is written");
        lines[1].Fields["Count"].Should().Be(2L, "with what happened since the line before");
        h.AssertBalanced().Pending.Should().Be(0);
    }
}
