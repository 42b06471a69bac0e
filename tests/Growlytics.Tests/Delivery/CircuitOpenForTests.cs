using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static GrowlyticsSdk.Tests.TestSupport.FakeClockDriver;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// <see cref="RequestSender.CircuitOpenFor"/> (what tests wait on before they count attempts as refused by the open circuit)
/// says the break the circuit is in from the moment it opens. Polly runs the breaker's OnOpened callback later, on a worker
/// of its own: read in between, before the first break was recorded, it said ~27,000 years (the unset end, long.MinValue,
/// overflowed): a test took the short first break (1 s, whose probe then went) for the long one.
/// </summary>
public sealed class CircuitOpenForTests
{
    private static readonly ReadOnlyMemory<byte>[] Message = ["{}"u8.ToArray()];

    [Fact]
    public async Task CircuitJustOpened_ItsCallbackNotRunYet_SaysTheBreak()
    {
        var time = new CallbacksHeldTime();
        var sender = Create(time, TimeSpan.FromMinutes(2));

        // Ten batches answered 503 (nothing accepted before): the circuit opens for the whole break, and Polly's callbacks
        // wait at their first read of the clock.
        time.Hold();
        var sends = Enumerable.Range(0, 10).Select(_ => sender.SendAsync(Message, holdsSlot: false, CancellationToken.None)).ToList();
        await WaitUntilAsync(() => time.Held && sender.CircuitIsOpen);

        try
        {
            sender.CircuitOpenFor.Should().BePositive("the circuit is open").And.BeLessThanOrEqualTo(TimeSpan.FromMinutes(2));
        }
        finally
        {
            time.Release();
            await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(20));
        }

        sender.CircuitOpenFor.Should().Be(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task CircuitClosed_SaysZero()
    {
        var time = new CallbacksHeldTime();
        var sender = Create(time, TimeSpan.FromMinutes(2));
        await sender.SendAsync(Message, holdsSlot: false, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));

        sender.CircuitIsOpen.Should().BeFalse();
        sender.CircuitOpenFor.Should().Be(TimeSpan.Zero);
    }

    private static RequestSender Create(FakeTimeProvider time, TimeSpan breakDuration)
    {
        var options = new GrowlyticsOptions
        {
            ApiKey = "key",
            Endpoint = new Uri("https://collector.test/"),
            Protocol = GrowlyticsProtocol.Batch,
            TimeProvider = time,
            MaxRetryAttempts = 0,
            CircuitBreakDuration = breakDuration,
        };
        var http = new HttpClient(new Unavailable()) { Timeout = Timeout.InfiniteTimeSpan };
        var limiter = new ConcurrencyLimiter(options.EffectiveMaxConcurrentRequests, time, () => { });
        return new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance)
        {
            KeepOnRetriesExhausted = true,
        };
    }

    /// <summary>
    /// A fake clock that, while held, stops the circuit breaker's callbacks (Polly runs them on its ScheduledTaskExecutor)
    /// at their first read of it, until released: what a busy machine does when that worker waits for a thread.
    /// </summary>
    private sealed class CallbacksHeldTime : FakeTimeProvider
    {
        private volatile TaskCompletionSource? _held;
        private volatile bool _holding;

        public bool Held => _holding;

        public void Hold() => _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _held?.TrySetResult();

        public override long GetTimestamp()
        {
            HoldCallback();
            return base.GetTimestamp();
        }

        public override DateTimeOffset GetUtcNow()
        {
            HoldCallback();
            return base.GetUtcNow();
        }

        private void HoldCallback()
        {
            if (_held is { Task.IsCompleted: false } held && Environment.StackTrace.Contains("ScheduledTaskExecutor", StringComparison.Ordinal))
            {
                _holding = true;
                held.Task.Wait(TimeSpan.FromSeconds(20));
            }
        }
    }

    private sealed class Unavailable : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
    }
}
