using System.Net;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace GrowlyticsSdk.Tests.Time;

/// <summary>
/// The delivery loop's timers (the flush interval's above all, up to an hour) outlived the client: a disposed client's
/// timer stayed registered with the clock until it fired, so an app that creates and disposes clients piled them up.
/// </summary>
public sealed class DisposedClientTimerTests
{
    [Theory]
    [InlineData(GrowlyticsProtocol.Batch)]
    [InlineData(GrowlyticsProtocol.Rest)]
    public async Task DisposedClient_LeavesNoTimerOfItsDeliveryLoopRunning(GrowlyticsProtocol protocol)
    {
        var fake = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var clock = new TimerCountingClock(fake);
        var delivered = 0;
        using var http = new MockHttpMessageHandler();
        http.When("*").Respond(_ =>
        {
            Interlocked.Increment(ref delivered);
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("""{"success":true}""", System.Text.Encoding.UTF8, "application/json"),
            };
        });
        using var httpClient = new HttpClient(http);
        var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = "test-key",
            Protocol = protocol,
            Endpoint = new Uri("https://collector.test/"),
            TimeProvider = clock,
            HttpClient = httpClient,
            SessionMode = SessionMode.ProcessWide,
            FlushOnProcessExit = false,
            FlushInterval = TimeSpan.FromHours(1),
        });

        // A batch that waits to fill starts the flush interval's timer (an hour); shutdown sends it at once.
        client.User.Identify("u-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        client.User.Push(new Dictionary<string, object?> { ["n"] = 1 });
        await Task.Delay(50);
        await client.DisposeAsync();

        client.Statistics.Delivered.Should().BeGreaterThan(0);
        delivered.Should().BeGreaterThan(0);
        clock.Live.Should().Be(0, "a disposed client's timers are released with it, not left to fire within the hour");
    }
}
