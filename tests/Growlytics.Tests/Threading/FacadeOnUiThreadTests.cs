using System.Net;
using System.Runtime.CompilerServices;
using GrowlyticsSdk.Tests.Sessions;

namespace GrowlyticsSdk.Tests.Threading;

/// <summary>
/// The facade used as a desktop app uses it: initialized on the UI thread (or lazily, inside some flow), flushed and shut
/// down there by blocking on the tasks.
/// </summary>
[Collection(FacadeCollection.Name)]
public sealed class FacadeOnUiThreadTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private static readonly AsyncLocal<object?> FlowState = new();

    [Fact]
    public async Task InitializeFlushAndShutdown_OnTheUiThread_BlockingOnTheTasks_NeitherDeadlockNorPostToItsContext()
    {
        using var ui = new UiThread();
        using var http = new HttpClient(new OkCollector());
        GrowlyticsClient? client = null;

        await ui.RunAsync(() =>
        {
            client = Growlytics.Initialize("key", o =>
            {
                o.Endpoint = new Uri("http://127.0.0.1:9/");
                o.HttpClient = http;
                o.FlushInterval = TimeSpan.FromMilliseconds(20);
            });
            Growlytics.User.Push(new { city = "Pune" });
            Growlytics.User.Identify("user-1", new { plan = "pro" });
            Growlytics.Customers.Update("customer-1", new { plan = "pro" });
            Growlytics.FlushAsync().GetAwaiter().GetResult();
            Growlytics.User.Logout();
            Growlytics.ShutdownAsync().Wait();
        }).WaitAsync(Timeout);

        ui.ForeignPosts.Should().Be(0);
        client!.Statistics.Delivered.Should().Be(3);
        Growlytics.IsInitialized.Should().BeFalse();
    }

    [Fact]
    public async Task Initialize_InsideAFlow_KeepsNothingOfThatFlowAlive()
    {
        using var http = new HttpClient(new OkCollector());
        var (client, state) = InitializeInsideAFlow(http);
        try
        {
            await client.FlushAsync().WaitAsync(Timeout);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            state.IsAlive.Should().BeFalse("the facade's client and its handlers run without the flow it was initialized in");
        }
        finally
        {
            await Growlytics.ShutdownAsync().WaitAsync(Timeout);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (GrowlyticsClient Client, WeakReference State) InitializeInsideAFlow(HttpClient http)
    {
        var state = new object();
        FlowState.Value = state;
        try
        {
            var client = Growlytics.Initialize("key", o =>
            {
                o.Endpoint = new Uri("http://127.0.0.1:9/");
                o.HttpClient = http;
            });
            Growlytics.User.Push(new { city = "Pune" });
            Growlytics.User.Identify("user-1");
            return (client, new WeakReference(state));
        }
        finally
        {
            FlowState.Value = null;
        }
    }

    private sealed class OkCollector : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
