using System.Collections.Concurrent;
using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Threading;

/// <summary>
/// Every public call made from a UI thread (a single-threaded <see cref="SynchronizationContext"/>), blocking on the
/// async ones as desktop apps do: none deadlocks, none posts work back to the app's context.
/// </summary>
public sealed class UiThreadCallsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest, true)]
    [InlineData(GrowlyticsProtocol.Rest, false)]
    [InlineData(GrowlyticsProtocol.Batch, true)]
    [InlineData(GrowlyticsProtocol.Batch, false)]
    public async Task EveryCall_FromAUiThreadBlockingOnTheAsyncOnes_NeitherDeadlocksNorPostsToItsContext(GrowlyticsProtocol protocol, bool storage)
    {
        using var ui = new UiThread();
        using var http = new HttpClient(new SlowCollector());
        var handlerThreads = new ConcurrentQueue<(int Thread, DropReason Reason)>();
        GrowlyticsClient? client = null;

        await ui.RunAsync(() =>
        {
            client = new GrowlyticsClient(new GrowlyticsOptions
            {
                ApiKey = DeliveryHarness.ApiKey,
                Protocol = protocol,
                Endpoint = new Uri("http://127.0.0.1:9/"),
                HttpClient = http,
                StorageDirectory = storage ? _folder : null,
                FlushOnProcessExit = false,
                MaxQueueSize = 4,
                FlushInterval = TimeSpan.FromMilliseconds(50),
                ShutdownTimeout = TimeSpan.FromSeconds(5),
            });
            client.MessageDropped += (_, e) => handlerThreads.Enqueue((Environment.CurrentManagedThreadId, e.Reason));
        }).WaitAsync(Timeout);

        await ui.RunAsync(() =>
        {
            client!.User.Push(new { city = "Pune" });
            client.User.Identify("user-1", new { plan = "pro" });
            client.Customers.Update("refuse-me", new { plan = "x" });
            for (var i = 0; i < 8; i++)
            {
                client.Customers.UpdateAsync("customer-" + i, new { n = i }).AsTask().GetAwaiter().GetResult();
            }

            client.FlushAsync().GetAwaiter().GetResult();
        }).WaitAsync(Timeout);

        await ui.RunAsync(() =>
        {
            client!.User.Logout();
            client.User.Push(new { city = "Delhi" });
            client.OptOut();
            client.User.Push(new { city = "Goa" });
            client.OptIn();
            client.User.Push(new { city = "Agra" });
            client.DeleteLocalDataAsync().GetAwaiter().GetResult();
            client.User.Identify("user-2");
            client.FlushAsync().Wait();
        }).WaitAsync(Timeout);

        await ui.RunAsync(() => client!.Dispose()).WaitAsync(Timeout);

        ui.ForeignPosts.Should().Be(0);
        handlerThreads.Where(h => h.Reason != DropReason.OptedOut).Should().NotContain(h => h.Thread == ui.ManagedThreadId);
        var stats = client!.Statistics;
        stats.Pending.Should().Be(0);
        stats.Enqueued.Should().Be(stats.Delivered + stats.Dropped);
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest, true)]
    [InlineData(GrowlyticsProtocol.Batch, false)]
    public async Task EveryCall_FromATaskOnAOneThreadScheduler_NeitherDeadlocksNorQueuesWorkToThatScheduler(GrowlyticsProtocol protocol, bool storage)
    {
        using var scheduler = new OneThreadScheduler();
        using var http = new HttpClient(new SlowCollector());
        GrowlyticsClient? client = null;
        var handlerSchedulers = new ConcurrentQueue<(TaskScheduler Scheduler, DropReason Reason)>();

        await scheduler.RunAsync(() =>
        {
            client = new GrowlyticsClient(new GrowlyticsOptions
            {
                ApiKey = DeliveryHarness.ApiKey,
                Protocol = protocol,
                Endpoint = new Uri("http://127.0.0.1:9/"),
                HttpClient = http,
                StorageDirectory = storage ? _folder : null,
                FlushOnProcessExit = false,
                MaxQueueSize = 4,
                FlushInterval = TimeSpan.FromMilliseconds(50),
            });
            client.MessageDropped += (_, e) => handlerSchedulers.Enqueue((TaskScheduler.Current, e.Reason));
            client.User.Push(new { city = "Pune" });
            client.User.Identify("user-1", new { plan = "pro" });
            client.Customers.Update("refuse-me", new { plan = "x" });
            for (var i = 0; i < 8; i++)
            {
                client.Customers.UpdateAsync("customer-" + i, new { n = i }).AsTask().GetAwaiter().GetResult();
            }

            client.FlushAsync().GetAwaiter().GetResult();
            client.User.Logout();
            client.User.Push(new { city = "Delhi" });
            client.OptOut();
            client.OptIn();
            client.DeleteLocalDataAsync().GetAwaiter().GetResult();
            client.User.Identify("user-2");
            client.FlushAsync().Wait();
        }).WaitAsync(Timeout);

        await scheduler.RunAsync(() => client!.DisposeAsync().AsTask().GetAwaiter().GetResult()).WaitAsync(Timeout);

        scheduler.ForeignTasks.Should().Be(0);
        handlerSchedulers.Where(s => s.Reason != DropReason.OptedOut).Should().NotContain(s => ReferenceEquals(s.Scheduler, scheduler));
        client!.Statistics.Pending.Should().Be(0);
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest, true)]
    [InlineData(GrowlyticsProtocol.Rest, false)]
    [InlineData(GrowlyticsProtocol.Batch, true)]
    public async Task BlockingCalls_OnTheUiThread_WithAHandlerThatMarshalsToIt_ReturnWithinTheirBound(GrowlyticsProtocol protocol, bool storage)
    {
        using var ui = new UiThread();
        using var http = new HttpClient(new SlowCollector());
        GrowlyticsClient? client = null;
        var ran = 0;
        await ui.RunAsync(() =>
        {
            client = new GrowlyticsClient(new GrowlyticsOptions
            {
                ApiKey = DeliveryHarness.ApiKey,
                Protocol = protocol,
                Endpoint = new Uri("http://127.0.0.1:9/"),
                HttpClient = http,
                StorageDirectory = storage ? _folder : null,
                FlushOnProcessExit = false,
                FlushInterval = TimeSpan.FromMilliseconds(20),
                ShutdownTimeout = TimeSpan.FromSeconds(1),
            });

            // Control.Invoke: runs the update of a label on the UI thread, and waits for it.
            var context = SynchronizationContext.Current!;
            client.MessageDropped += (_, _) => context.Send(_ => Interlocked.Increment(ref ran), null);
        }).WaitAsync(Timeout);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await ui.RunAsync(() =>
        {
            client!.Customers.Update("refuse-me", new { plan = "x" });
            client.User.Identify("user-1", new { plan = "pro" });
            client.FlushAsync().GetAwaiter().GetResult();
            client.Customers.Update("refuse-me", new { plan = "y" });
            client.User.Push(new { city = "Pune" });
            client.DeleteLocalDataAsync().GetAwaiter().GetResult();
            client.Customers.Update("refuse-me", new { plan = "z" });
            client.User.Identify("user-2", new { city = "Goa" });
            client.FlushAsync().GetAwaiter().GetResult();
            client.Customers.Update("refuse-me", new { plan = "w" });
            client.Dispose();
        }).WaitAsync(Timeout);
        watch.Stop();

        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(4));
        var stats = client!.Statistics;
        stats.Pending.Should().Be(0);
        stats.Enqueued.Should().Be(stats.Delivered + stats.Dropped);
        await DeliveryHarness.WaitUntilAsync(() => Volatile.Read(ref ran) > 0);
    }

    private sealed class SlowCollector : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return new HttpResponseMessage(body.Contains("refuse-me", StringComparison.Ordinal) ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.OK);
        }
    }
}
