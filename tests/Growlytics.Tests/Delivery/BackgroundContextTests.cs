using System.Collections.Concurrent;
using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The client's background work runs without the context it was created in: a client made inside one request or job
/// must not send every later request under that request's AsyncLocals (an <c>Activity</c>, a logging scope), and every
/// request sees the same context, whether the loop starts it alone or a pool thread starts it beside others.
/// </summary>
public sealed class BackgroundContextTests
{
    private static readonly AsyncLocal<string?> Ambient = new();

    [Fact]
    public async Task Requests_AloneOrConcurrent_NeverRunInTheContextTheClientWasCreatedIn()
    {
        var seen = new ConcurrentQueue<string>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var http = new HttpClient(new AmbientRecorder(seen, gate.Task));
        Ambient.Value = "created-here";
        DeliveryHarness h;
        try
        {
            h = new DeliveryHarness(o =>
            {
                o.HttpClient = http;
                o.MaxBatchSize = 1;
                o.MaxConcurrentRequests = 8;
            });
        }
        finally
        {
            Ambient.Value = null;
        }

        await using (h)
        {
            // Four users' requests at once: the first starts on the loop alone, the others beside it on pool threads.
            for (var user = 0; user < 4; user++)
            {
                h.Push(user, anonymousId: "user-" + user);
            }

            await DeliveryHarness.WaitUntilAsync(() => seen.Count == 4);
            gate.SetResult();
            await h.FlushAsync();
            seen.Should().HaveCount(4).And.OnlyContain(value => value == "(none)");
        }
    }

    private sealed class AmbientRecorder(ConcurrentQueue<string> seen, Task gate) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Enqueue(Ambient.Value ?? "(none)");
            await gate.WaitAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
