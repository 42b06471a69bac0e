using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// Drops without a message in delivery (refused at the call, a full queue) are reported by <see cref="GrowlyticsClient.MessageDropped"/>
/// too, summed per reason, on a pool thread: every drop counted while the event has a handler is reported once.
/// </summary>
public sealed class BulkDropEventTests
{
    [Theory]
    [InlineData(QueueOverflowPolicy.DropNewest)]
    [InlineData(QueueOverflowPolicy.DropOldest)]
    public async Task QueueFull_EveryDropIsReportedOnceWithoutACustomerId(QueueOverflowPolicy policy)
    {
        await using var h = new DeliveryHarness(
            o =>
            {
                o.MaxQueueSize = 16;
                o.QueueOverflowPolicy = policy;
            },
            startDelivery: false);
        var events = new Recorder();
        h.Client.MessageDropped += events.Handler;

        Recorder.Calling(() => h.PushMany(100));

        var counted = h.Client.Statistics.DroppedByReason[DropReason.QueueFull];
        counted.Should().Be(84);
        await DeliveryHarness.WaitUntilAsync(() => events.Sum(DropReason.QueueFull) == counted);
        await Task.Delay(50);
        events.Sum(DropReason.QueueFull).Should().Be(counted, "each drop is reported once");
        events.All.Should().OnlyContain(e => e.Reason == DropReason.QueueFull && e.CustomerId == null && e.Count > 0);
        events.DuringACall.Should().Be(0, "the caller's thread never runs the application's handler");
    }

    [Fact]
    public async Task CallsRefusedAfterTheKeyWasRefused_AreReportedAsUnauthorized()
    {
        await using var h = new DeliveryHarness();
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.Unauthorized));
        var events = new Recorder();
        h.Client.MessageDropped += events.Handler;
        h.PushMany(1);
        await h.FlushAsync();

        h.PushMany(20, from: 1);

        var counted = h.Client.Statistics.DroppedByReason[DropReason.Unauthorized];
        counted.Should().Be(21);
        await DeliveryHarness.WaitUntilAsync(() => events.Sum(DropReason.Unauthorized) == counted);
        events.All.Should().Contain(e => e.StatusCode == 401, "the refused request's own message is reported with its status");
    }

    [Fact]
    public async Task CallsAfterShutdown_AreReportedAsShutdown()
    {
        await using var h = new DeliveryHarness();
        var events = new Recorder();
        h.Client.MessageDropped += events.Handler;
        await h.Client.ShutdownAsync();

        h.PushMany(5);

        await DeliveryHarness.WaitUntilAsync(() => events.Sum(DropReason.Shutdown) == 5);
        h.Client.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(5);
    }

    [Fact]
    public async Task DropsCountedWithoutAHandler_AreNotReportedToOneAddedLater()
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 4, startDelivery: false);
        h.PushMany(10);
        var events = new Recorder();
        h.Client.MessageDropped += events.Handler;

        h.PushMany(1, from: 10);
        await DeliveryHarness.WaitUntilAsync(() => events.Sum(DropReason.QueueFull) == 1);
        h.Client.MessageDropped -= events.Handler;
        h.PushMany(3, from: 11);
        await Task.Delay(50);

        events.Sum(DropReason.QueueFull).Should().Be(1);
        h.Client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(10);
    }

    private sealed class Recorder
    {
        [ThreadStatic]
        private static bool t_inCall;

        private readonly List<MessageDroppedEventArgs> _events = [];
        private int _duringACall;

        public IReadOnlyList<MessageDroppedEventArgs> All
        {
            get
            {
                lock (_events)
                {
                    return _events.ToList();
                }
            }
        }

        public int DuringACall => Volatile.Read(ref _duringACall);

        public static void Calling(Action calls)
        {
            t_inCall = true;
            try
            {
                calls();
            }
            finally
            {
                t_inCall = false;
            }
        }

        public void Handler(object? sender, MessageDroppedEventArgs e)
        {
            if (t_inCall)
            {
                Interlocked.Increment(ref _duringACall);
            }

            lock (_events)
            {
                _events.Add(e);
            }
        }

        public long Sum(DropReason reason) => All.Where(e => e.Reason == reason).Sum(e => (long)e.Count);
    }
}
