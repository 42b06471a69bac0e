using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The client's background work runs without the context it was created in, or that of the call that started it: a
/// client made (or first used) inside one request or job must not send every later request, or run its sweeps, under
/// that request's AsyncLocals (an <c>Activity</c>, a logging scope), and every request sees the same context, whether
/// the loop starts it alone or a pool thread starts it beside others.
/// </summary>
public sealed class BackgroundContextTests
{
    private static readonly AsyncLocal<string?> Ambient = new();
    private static readonly AsyncLocal<object?> RequestObject = new();

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

    [Fact]
    public async Task HeldAttributeSweeper_StartedByACallInsideARequest_RunsWithoutThatRequestsContext()
    {
        // REST holds an anonymous visitor's pushes for a later login; the first such call starts the sweep that drops them
        // once they expire. Real timers (a fake clock runs callbacks on the thread that advances it, with its context).
        var time = new ShiftableTime();
        var seen = new ConcurrentQueue<string>();
        using var http = new HttpClient(new AmbientRecorder(new ConcurrentQueue<string>(), Task.CompletedTask));
        var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = DeliveryHarness.ApiKey,
            Protocol = GrowlyticsProtocol.Rest,
            Endpoint = new Uri("https://collector.test/"),
            HttpClient = http,
            TimeProvider = time,
            FlushOnProcessExit = false,
        });
        await using (client)
        {
            client.MessageDropped += (_, e) => seen.Enqueue(e.Reason + ":" + (Ambient.Value ?? "(none)"));
            Ambient.Value = "request-1";
            try
            {
                using (client.BeginScope("visitor-123"))
                {
                    client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
                }
            }
            finally
            {
                Ambient.Value = null;
            }

            time.Shift(TimeSpan.FromHours(1));
            await DeliveryHarness.WaitUntilAsync(() => !seen.IsEmpty);
            seen.Should().OnlyContain(s => s == "AnonymousExpired:(none)");
        }
    }

    [Fact]
    public async Task CircuitOpenedLine_OfAClientCreatedInsideARequest_IsLoggedWithoutThatRequestsContext()
    {
        // The circuit breaker reports its changes from work of its own: started with the caller's context, its outage line
        // (maybe hours later) would carry the first request's AsyncLocals (its Activity, its logging scopes).
        var seen = new ConcurrentQueue<string>();
        Ambient.Value = "created-here";
        DeliveryHarness h;
        try
        {
            h = new DeliveryHarness(o =>
            {
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
            h.Log.BeforeLog = id =>
            {
                if (id == 2020)
                {
                    seen.Enqueue(Ambient.Value ?? "(none)");
                }
            };
            h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
            for (var user = 0; user < 8; user++)
            {
                h.Push(user, anonymousId: "user-" + user);
            }

            await DeliveryHarness.WaitUntilAsync(() => !seen.IsEmpty);
            seen.Should().OnlyContain(value => value == "(none)");
            h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }

    [Fact]
    public async Task Client_CreatedInsideARequest_KeepsNothingOfThatRequestsContextAlive()
    {
        // A client made inside the first request (AddGrowlytics resolved there, a lazy Initialize) lives as long as the
        // process: what the request's context holds (its Activity, its AsyncLocals) must not live as long.
        var directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var (client, requestState) = CreateInsideARequest(directory);
            await using (client)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                requestState.IsAlive.Should().BeFalse("the client's background work runs without the context it was created in");
            }
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (GrowlyticsClient Client, WeakReference RequestState) CreateInsideARequest(string directory)
    {
        var requestState = new object();
        Ambient.Value = requestState.GetHashCode().ToString(System.Globalization.CultureInfo.InvariantCulture);
        RequestObject.Value = requestState;
        try
        {
            var client = new GrowlyticsClient(new GrowlyticsOptions
            {
                ApiKey = DeliveryHarness.ApiKey,
                Endpoint = new Uri("https://collector.test/"),
                HttpClient = new HttpClient(new AmbientRecorder(new ConcurrentQueue<string>(), Task.CompletedTask)),
                StorageDirectory = directory,
                FlushOnProcessExit = false,
            });
            return (client, new WeakReference(requestState));
        }
        finally
        {
            Ambient.Value = null;
            RequestObject.Value = null;
        }
    }

    /// <summary>System time, shifted on demand; the sweep of held pushes (every eighth of 30 minutes) runs every 20 ms instead.</summary>
    private sealed class ShiftableTime : TimeProvider
    {
        private long _offsetTicks;

        public void Shift(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

        public override long GetTimestamp() =>
            System.GetTimestamp() + (long)(Interlocked.Read(ref _offsetTicks) / (double)TimeSpan.TicksPerSecond * TimestampFrequency);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            dueTime == TimeSpan.FromMinutes(30) / 8
                ? System.CreateTimer(callback, state, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20))
                : System.CreateTimer(callback, state, dueTime, period);
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
