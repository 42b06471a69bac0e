using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// The app's <see cref="TimeProvider"/> throws for a moment as the first visitor's push is held (REST, an anonymous scope
/// starts the held store's sweep timer): the app's Push does not throw the clock's fault, and the push is held and counted.
/// </summary>
public sealed class HeldSweepTimerFaultTests
{
    [Fact]
    public void Push_AnonymousWhileTheClockThrowsForAMoment_DoesNotThrowAndIsHeld()
    {
        var time = new TimerFaultClock();
        using var client = new GrowlyticsClient(
            new GrowlyticsOptions
            {
                ApiKey = "k",
                Endpoint = new Uri("http://127.0.0.1:9/"),
                Protocol = GrowlyticsProtocol.Rest,
                TimeProvider = time,
                FlushOnProcessExit = false,
            },
            startDelivery: false);

        time.Broken = true;
        var push = () =>
        {
            using (client.BeginScope("visitor-1"))
            {
                client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
            }
        };

        push.Should().NotThrow("a fault of the app's clock in the SDK's background timer is not the caller's");
        time.Broken = false;
        client.Statistics.Pending.Should().Be(1, "the push was held, and counted pending");
        client.Statistics.Enqueued.Should().Be(1);
    }

    // A fake clock whose CreateTimer throws while Broken (its timestamps work).
    private sealed class TimerFaultClock : FakeTimeProvider
    {
        public volatile bool Broken;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            Broken ? throw new InvalidOperationException("The test clock is broken for a moment.") : base.CreateTimer(callback, state, dueTime, period);
    }
}
