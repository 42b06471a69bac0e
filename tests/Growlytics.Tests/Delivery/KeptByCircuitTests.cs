using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static GrowlyticsSdk.Tests.TestSupport.FakeClockDriver;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A batch kept after its retries ran out says whether the open circuit refused its last attempt before it went on the
/// wire (<see cref="SendResult.RefusedByCircuit"/>): the dispatcher never drops such a batch as refused for good, since the
/// service did not refuse it. An attempt the service answered, or one that got no answer on the wire, is the service's.
/// </summary>
public sealed class KeptByCircuitTests
{
    private static readonly ReadOnlyMemory<byte>[] Message = ["{}"u8.ToArray()];

    [Fact]
    public async Task LastAttemptRefusedByTheOpenCircuit_IsMarked()
    {
        var (sender, handler, time) = Create(maxRetryAttempts: 0);
        await OpenTheCircuitAsync(sender, time);
        var attempts = handler.Attempts;

        var result = await SendAsync(sender, time);

        handler.Attempts.Should().Be(attempts, "the open circuit refused the attempt before the wire");
        result.Outcome.Should().Be(SendOutcome.Kept);
        result.Status.Should().Be(0);
        result.RefusedByCircuit.Should().BeTrue();
    }

    [Fact]
    public async Task RefusedByTheCircuit_ItsRetryTheProbeAnswered503_ThenRefusedByTheCircuitAgain_IsMarked()
    {
        // The first attempt meets the open circuit; a retry waits for the break to end and goes on the wire as the probe,
        // answered 503: the circuit opens again (an outage) and refuses the last attempt.
        var (sender, handler, time) = Create(maxRetryAttempts: 1);
        await OpenTheCircuitAsync(sender, time);
        var attempts = handler.Attempts;

        var result = await SendAsync(sender, time);

        handler.Attempts.Should().Be(attempts + 1, "only the probe went on the wire");
        result.Outcome.Should().Be(SendOutcome.Kept);
        result.Status.Should().Be(0);
        result.RefusedByCircuit.Should().BeTrue("the open circuit refused the last attempt");
    }

    [Fact]
    public async Task NoAnswerOnTheWire_IsNotMarked()
    {
        var (sender, handler, time) = Create(maxRetryAttempts: 0);
        handler.Refuse = true;

        var result = await SendAsync(sender, time);

        handler.Attempts.Should().Be(1);
        result.Outcome.Should().Be(SendOutcome.Kept);
        result.Status.Should().Be(0, "the connection was refused: no answer");
        result.RefusedByCircuit.Should().BeFalse("the attempt went on the wire");
    }

    private static (RequestSender Sender, Failing Handler, FakeTimeProvider Time) Create(int maxRetryAttempts)
    {
        var time = new FakeTimeProvider();
        var options = new GrowlyticsOptions
        {
            ApiKey = "key",
            Endpoint = new Uri("https://collector.test/"),
            Protocol = GrowlyticsProtocol.Batch,
            TimeProvider = time,
            MaxRetryAttempts = maxRetryAttempts,

            // Long enough that the circuit opened by OpenTheCircuitAsync is still open when the next batch starts.
            CircuitBreakDuration = TimeSpan.FromMinutes(2),
        };
        var handler = new Failing();
        var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var limiter = new ConcurrencyLimiter(options.EffectiveMaxConcurrentRequests, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance)
        {
            KeepOnRetriesExhausted = true,
        };
        return (sender, handler, time);
    }

    // Ten batches answered 503 (nothing accepted before): the circuit opens for the whole CircuitBreakDuration (2 min).
    private static async Task OpenTheCircuitAsync(RequestSender sender, FakeTimeProvider time)
    {
        var sends = Enumerable.Range(0, 10).Select(_ => sender.SendAsync(Message, holdsSlot: false, CancellationToken.None)).ToList();
        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(1))).Should().BeTrue();
        sender.CircuitIsOpen.Should().BeTrue();
    }

    private static async Task<SendResult> SendAsync(RequestSender sender, FakeTimeProvider time)
    {
        var send = sender.SendAsync(Message, holdsSlot: false, CancellationToken.None);
        (await AdvanceUntilAsync(time, send, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(5))).Should().BeTrue();
        return (await send).Should().ContainSingle().Subject;
    }

    // Answers 503, or refuses the connection (no answer) when Refuse is set.
    private sealed class Failing : HttpMessageHandler
    {
        public int Attempts;
        public volatile bool Refuse;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Attempts);
            return Refuse
                ? throw new HttpRequestException("refused", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused))
                : Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        }
    }
}
