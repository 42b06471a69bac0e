using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static GrowlyticsSdk.Tests.TestSupport.FakeClockDriver;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A half-open circuit's probe that ends without an answer (its batch's <see cref="GrowlyticsOptions.RetryBudget"/> ran
/// out while it was on the wire) reopens the circuit: taken as a success, it closed it, and every waiting retry and new
/// batch went at once to the service that had not answered.
/// </summary>
public sealed class CircuitProbeCancelledTests
{
    private static readonly ReadOnlyMemory<byte>[] Message = ["{}"u8.ToArray()];

    [Fact]
    public async Task ProbeEndedByItsBatchsRetryBudget_OutageGoesOn_CircuitStaysOpen()
    {
        var time = new FakeTimeProvider();
        var options = new GrowlyticsOptions
        {
            ApiKey = "key",
            Endpoint = new Uri("https://collector.test/"),
            Protocol = GrowlyticsProtocol.Batch,
            TimeProvider = time,
            RequestTimeout = TimeSpan.FromSeconds(10),
            RetryBudget = TimeSpan.FromSeconds(20),
            MaxRetryAttempts = 100,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(100),
            CircuitBreakDuration = TimeSpan.FromSeconds(15),
        };
        var handler = new Outage(time);
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var limiter = new ConcurrencyLimiter(options.EffectiveMaxConcurrentRequests, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        // Refused at once until the circuit opens; from then on the service does not answer at all (a black hole).
        var first = sender.SendAsync(Message, holdsSlot: limiter.TryAcquireForNew(), CancellationToken.None);
        (await AdvanceUntilAsync(time, WaitUntilOpen(sender), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20))).Should().BeTrue();
        handler.BlackHole = true;
        var before = handler.Attempts;

        // The break ends at ~15 s; the probe goes and hangs; the batch's 20 s budget ends while it is on the wire.
        (await AdvanceUntilAsync(time, first, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250))).Should().BeTrue();
        (await first).Should().ContainSingle().Which.Reason.Should().Be(DropReason.RetriesExhausted);
        handler.Attempts.Should().Be(before + 1, "one probe went");

        // The probe got no answer: nothing says the service is back. A new batch must not go to the black hole at once.
        var second = sender.SendAsync(Message, holdsSlot: limiter.TryAcquireForNew(), CancellationToken.None);
        await AdvanceUntilAsync(time, Task.Delay(Timeout.Infinite), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        handler.Attempts.Should().Be(before + 1, "the circuit stays open after a probe that got no answer (probed once per CircuitBreakDuration, not hammered)");
    }

    private static Task WaitUntilOpen(RequestSender sender) => Task.Run(async () =>
    {
        while (!sender.CircuitIsOpen)
        {
            await Task.Delay(2);
        }
    });

    private sealed class Outage(FakeTimeProvider time) : HttpMessageHandler
    {
        private int _attempts;

        public volatile bool BlackHole;

        public int Attempts => Volatile.Read(ref _attempts);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            if (BlackHole)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, time, cancellationToken);
            }

            throw new HttpRequestException("refused", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));
        }
    }
}
