using System.Net;
using GrowlyticsSdk.Tests.Time;
using RichardSzalay.MockHttp;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// With <see cref="GrowlyticsOptions.StorageDirectory"/> the storage writer woke at every
/// <see cref="GrowlyticsOptions.StorageCommitInterval"/> for as long as the client lived, with nothing to write: five
/// turns a second (each a timer, a look at the lock file and a thread-pool wake) in an idle desktop app.
/// </summary>
public sealed class IdleStorageWriterTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task IdleClientWithStorage_StartsFewTimers_AndAMessageStillGoesWithinAboutOneCommitInterval()
    {
        var clock = new TimerCountingClock(Time);
        var delivered = 0;
        using var http = new MockHttpMessageHandler();
        http.When("*").Respond(_ =>
        {
            Interlocked.Increment(ref delivered);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"success\":true}") };
        });
        using var httpClient = new HttpClient(http);
        await using var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = "test-key",
            Endpoint = new Uri("https://collector.test/"),
            TimeProvider = clock,
            HttpClient = httpClient,
            SessionMode = SessionMode.ProcessWide,
            FlushOnProcessExit = false,
            StorageDirectory = Directory,
        });

        // Settled after the start, then a minute with nothing to write or send: 300 commit intervals.
        await AdvanceAsync(25);
        var before = clock.Timers;
        await AdvanceAsync(300);
        (clock.Timers - before).Should().BeLessThan(30, "an idle client has nothing to write and need not wake five times a second");

        var pushedAt = Time.GetUtcNow();
        client.Customers.Update("c-1", new Dictionary<string, object?> { ["n"] = 1 });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Volatile.Read(ref delivered) == 0 && DateTime.UtcNow < deadline)
        {
            Time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(2);
        }

        delivered.Should().Be(1);
        (Time.GetUtcNow() - pushedAt).Should().BeLessThanOrEqualTo(Step * 2, "a message is written, then sent, within about one commit interval");
    }

    [Fact]
    public async Task IdleClientWithALongCommitInterval_WakesNoMoreOftenThanItsCommitInterval()
    {
        var clock = new TimerCountingClock(Time);
        using var http = new MockHttpMessageHandler();
        http.When("*").Respond(HttpStatusCode.OK, "application/json", "{\"success\":true}");
        using var httpClient = new HttpClient(http);
        await using var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = "test-key",
            Endpoint = new Uri("https://collector.test/"),
            TimeProvider = clock,
            HttpClient = httpClient,
            SessionMode = SessionMode.ProcessWide,
            FlushOnProcessExit = false,
            StorageDirectory = Directory,
            StorageCommitInterval = TimeSpan.FromSeconds(10),
        });

        // Settled after the start, then two minutes with nothing to write or send: twelve commit intervals.
        await AdvanceAsync(25);
        var before = clock.Timers;
        for (var i = 0; i < 120; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(2);
        }

        (clock.Timers - before).Should().BeLessThanOrEqualTo(13, "an idle writer looks at its folder once per commit interval at most, not more often than before it rested");
    }

    private async Task AdvanceAsync(int steps)
    {
        for (var i = 0; i < steps; i++)
        {
            Time.Advance(Step);
            await Task.Delay(2);
        }
    }
}
