using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static GrowlyticsSdk.Tests.TestSupport.FakeClockDriver;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The circuit's opening (event 2020) is logged at most once a minute, with the openings since the line before: an opening
/// a tick short of a minute after the line waits for the next one; one a minute after it is logged.
/// </summary>
public sealed class CircuitOpenedLogTests
{
    private static readonly ReadOnlyMemory<byte>[] Message = ["{}"u8.ToArray()];

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    public async Task CircuitReopened_AMinuteAfterTheLine_IsLoggedWithTheOpeningsSince_ATickShortIsNot(long ticksFromAMinute, bool logged)
    {
        var time = new FakeTimeProvider();
        var options = new GrowlyticsOptions
        {
            ApiKey = "key",
            Endpoint = new Uri("https://collector.test/"),
            Protocol = GrowlyticsProtocol.Batch,
            TimeProvider = time,
            CircuitBreakDuration = TimeSpan.FromSeconds(15),

            // Each request is one attempt: a failed probe reopens the circuit, and its request ends with it.
            MaxRetryAttempts = 0,

            // The last probe waits on the wire while the clock moves.
            RequestTimeout = TimeSpan.FromMinutes(10),
        };
        var refusing = new Refusing();
        using var http = new HttpClient(refusing);
        var limiter = new ConcurrencyLimiter(8, time, () => { });
        var logs = new DeliveryLog();
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), logs);

        // Eight requests at once, all refused: the circuit opens, and the line says so.
        for (var i = 0; i < 8; i++)
        {
            limiter.TryAcquireForNew().Should().BeTrue();
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => sender.SendAsync(Message, holdsSlot: true, CancellationToken.None))).WaitAsync(DeliveryHarness.RealTimeout);
        sender.CircuitIsOpen.Should().BeTrue();
        var openedAt = time.GetUtcNow();
        logs.WithId(2020).Should().ContainSingle().Which.Fields["Count"].Should().Be(1L);

        // Past the break, a probe is refused: opened again, within the minute.
        time.Advance(TimeSpan.FromSeconds(20));
        await SendAsync(sender);
        sender.CircuitIsOpen.Should().BeTrue();
        logs.WithId(2020).Should().ContainSingle();

        // Past that break, the next probe waits on the wire until the clock is where the test wants it, then is refused.
        time.Advance(TimeSpan.FromSeconds(20));
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        refusing.Hold = answer.Task;
        var probe = sender.SendAsync(Message, holdsSlot: false, CancellationToken.None);
        await WaitUntilAsync(() => refusing.Count == 10);
        time.Advance(openedAt + TimeSpan.FromMinutes(1) + TimeSpan.FromTicks(ticksFromAMinute) - time.GetUtcNow());
        answer.SetResult();

        // The probe's request ends once the circuit has opened again (its callbacks, the line among them, awaited).
        (await probe.WaitAsync(DeliveryHarness.RealTimeout)).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Dropped);
        sender.CircuitIsOpen.Should().BeTrue();
        var lines = logs.WithId(2020).ToList();
        if (logged)
        {
            lines.Should().HaveCount(2, "a minute after the line before, the next opening is logged");
            lines[1].Fields["Count"].Should().Be(2L, "with the openings since the line before");
        }
        else
        {
            lines.Should().ContainSingle("event 2020 is written at most once a minute");
        }
    }

    private static async Task SendAsync(RequestSender sender) =>
        (await sender.SendAsync(Message, holdsSlot: false, CancellationToken.None).WaitAsync(DeliveryHarness.RealTimeout))
            .Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Dropped);

    // Refuses every request (503); while Hold is set, once it completes.
    private sealed class Refusing : HttpMessageHandler
    {
        private int _count;

        public Task? Hold { get; set; }

        public int Count => Volatile.Read(ref _count);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            if (Hold is { } hold)
            {
                await hold;
            }

            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        }
    }
}
