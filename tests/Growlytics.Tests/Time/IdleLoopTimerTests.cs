using System.Net;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace GrowlyticsSdk.Tests.Time;

/// <summary>
/// With the batch protocol an idle client's delivery loop started a flush-interval timer at every turn, so it turned at
/// every interval with nothing to send: with a 1 ms interval some 250 turns a second, about a tenth of a core.
/// </summary>
public sealed class IdleLoopTimerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    [Fact]
    public async Task IdleBatchClient_StartsNoFlushTimer_AndAMessageStillGoesWithinAboutOneInterval()
    {
        var fake = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var clock = new TimerCountingClock(fake);
        var delivered = 0;
        using var http = new MockHttpMessageHandler();
        http.When("*").Respond(_ =>
        {
            Interlocked.Increment(ref delivered);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        using var httpClient = new HttpClient(http);
        await using var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = "test-key",
            Protocol = GrowlyticsProtocol.Batch,
            Endpoint = new Uri("https://collector.test/"),
            TimeProvider = clock,
            HttpClient = httpClient,
            SessionMode = SessionMode.ProcessWide,
            FlushOnProcessExit = false,
            FlushInterval = Interval,
        });

        // Settled after the start, then 200 intervals with nothing to send.
        await AdvanceAsync(fake, 20);
        var before = clock.Timers;
        await AdvanceAsync(fake, 200);
        (clock.Timers - before).Should().BeLessThan(5, "an idle client has nothing to send and need not wake");

        var pushedAt = fake.GetUtcNow();
        client.User.Push(new Dictionary<string, object?> { ["n"] = 1 });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Volatile.Read(ref delivered) == 0 && DateTime.UtcNow < deadline)
        {
            await AdvanceAsync(fake, 1);
        }

        delivered.Should().Be(1);
        (fake.GetUtcNow() - pushedAt).Should().BeLessThanOrEqualTo(Interval * 5, "a batch that does not fill goes within about one flush interval");
    }

    private static async Task AdvanceAsync(FakeTimeProvider fake, int intervals)
    {
        for (var i = 0; i < intervals; i++)
        {
            fake.Advance(Interval);
            await Task.Delay(2);
        }
    }
}
