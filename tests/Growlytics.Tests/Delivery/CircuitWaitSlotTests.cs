using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>A batch that waits for the open circuit to close is waiting out a backoff: it holds no request slot meanwhile.</summary>
public sealed class CircuitWaitSlotTests
{
    [Fact]
    public async Task SendAsync_CircuitOpenAtTheFirstAttempt_GivesItsSlotBackWhileItWaits()
    {
        var time = new FakeTimeProvider();
        var options = new GrowlyticsOptions
        {
            ApiKey = "key",
            Endpoint = new Uri("https://collector.test/"),
            Protocol = GrowlyticsProtocol.Batch,
            TimeProvider = time,
            CircuitBreakDuration = TimeSpan.FromSeconds(15),
        };
        var attempts = 0;
        var healthy = false;
        using var http = new HttpClient(new Answer(() => Interlocked.Increment(ref attempts), () => Volatile.Read(ref healthy)));
        var limiter = new ConcurrencyLimiter(8, time, () => { });
        var counters = new DeliveryCounters();
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, counters, NullLogger.Instance);
        using var stopFailing = new CancellationTokenSource();
        using var stopWaiting = new CancellationTokenSource();
        ReadOnlyMemory<byte>[] message = ["{}"u8.ToArray()];

        // An outage: eight batches fail at once, which opens the circuit; each then waits out its backoff (fake time).
        var failing = new List<Task<List<SendResult>>>();
        for (var i = 0; i < 8; i++)
        {
            limiter.TryAcquireForNew().Should().BeTrue();
            failing.Add(sender.SendAsync(message, holdsSlot: true, stopFailing.Token));
        }

        await WaitUntilAsync(() => Volatile.Read(ref attempts) == 8 && limiter.Active == 0);

        // A new batch takes a slot for its first attempt; the open circuit refuses it before it goes on the wire.
        limiter.TryAcquireForNew().Should().BeTrue();
        var waiting = sender.SendAsync(message, holdsSlot: true, stopWaiting.Token);

        await WaitUntilAsync(() => limiter.Active == 0);
        Volatile.Read(ref attempts).Should().Be(8, "the circuit is open: nothing went on the wire");
        limiter.Active.Should().Be(0, "a batch waiting for the circuit to close is in its backoff, and a backoff holds no slot");

        // The eight are cancelled in their backoffs: their retries never go on the wire, so none is counted.
        await stopFailing.CancelAsync();
        await Task.WhenAll(failing);
        counters.Retried.Should().Be(0, "a retry that a shutdown ends while it waits never went on the wire");

        // The service is back and the circuit closes: the waiting batch's first attempt on the wire is delivered. The
        // attempt the open circuit refused was no failed HTTP attempt, so this one is no retry.
        Volatile.Write(ref healthy, true);
        var results = await AdvanceUntilAsync(time, waiting);
        results.Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered);
        Volatile.Read(ref attempts).Should().Be(9);
        counters.Retried.Should().Be(0, "the attempt the open circuit refused never went on the wire, so it is no failed attempt");
        limiter.Active.Should().Be(0);
    }

    private static async Task<T> AdvanceUntilAsync<T>(FakeTimeProvider time, Task<T> task)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!task.IsCompleted)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException("Still waiting after 20 s of real time.");
            }

            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }

        return await task;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException("Still waiting after 20 s of real time.");
            }

            await Task.Delay(10);
        }
    }

    private sealed class Answer(Action onSend, Func<bool> healthy) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            onSend();
            return Task.FromResult(new HttpResponseMessage(healthy() ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable));
        }
    }
}
