using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static GrowlyticsSdk.Tests.TestSupport.FakeClockDriver;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A real outage opens the circuit for a client with few batches too, so they wait it out instead of running out of
/// retries: a rule that judged the circuit on as many answers as requests may go out at once (32 with REST) left a small
/// client's outage below it, and its batches were dropped within seconds.
/// </summary>
public sealed class CircuitOutageTests
{
    private static readonly ReadOnlyMemory<byte>[] Message = ["{}"u8.ToArray()];

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest, 4, false, 40)]
    [InlineData(GrowlyticsProtocol.Rest, 8, true, 100)]
    [InlineData(GrowlyticsProtocol.Batch, 8, true, 100)]
    public async Task Outage_FewBatches_OpensTheCircuit_TheyAreDeliveredWhenItEnds(GrowlyticsProtocol protocol, int batches, bool blackHole, int outageSeconds)
    {
        // Default options: 6 retries within RetryBudget (2 minutes); the outage is shorter than that.
        var time = new FakeTimeProvider();
        var options = new GrowlyticsOptions { ApiKey = "key", Endpoint = new Uri("https://collector.test/"), Protocol = protocol, TimeProvider = time };
        var handler = new Outage(time, time.GetUtcNow() + TimeSpan.FromSeconds(outageSeconds), blackHole);
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var limiter = new ConcurrencyLimiter(options.EffectiveMaxConcurrentRequests, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);
        var sends = new List<Task<List<SendResult>>>();
        for (var i = 0; i < batches; i++)
        {
            sends.Add(sender.SendAsync(Message, holdsSlot: limiter.TryAcquireForNew(), CancellationToken.None));
        }

        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(250))).Should().BeTrue();
        foreach (var send in sends)
        {
            (await send).Should().OnlyContain(r => r.Outcome == SendOutcome.Delivered, "the open circuit holds the batches through an outage shorter than RetryBudget");
        }
    }

    // Every attempt before `until` fails: refused at once, or (a black hole) never answered until the attempt's timeout.
    private sealed class Outage(FakeTimeProvider time, DateTimeOffset until, bool blackHole) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (time.GetUtcNow() < until)
            {
                if (blackHole)
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, time, cancellationToken);
                }

                throw new HttpRequestException("refused", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
