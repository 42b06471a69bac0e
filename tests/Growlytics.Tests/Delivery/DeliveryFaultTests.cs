using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Validation;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.Delivery;

public sealed class DeliveryFaultTests
{
    [Fact]
    public async Task Send_HandlerThrowsUnexpectedException_BatchDroppedLoggedAndLaterBatchesDelivered()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 3);
        h.Responder = r => r.Index == 1 ? throw new InvalidOperationException("collector handler fault") : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        h.PushMany(3);
        await h.FlushAsync();

        h.PushMany(3, from: 3);
        await h.FlushAsync();

        var stats = h.AssertBalanced();
        stats.Dropped.Should().Be(3, string.Join(" | ", h.Requests) + " || " + string.Join(" | ", h.Log.Entries.Select(e => e.Everything)));
        stats.Delivered.Should().Be(3);
        h.Accepted.SelectMany(r => r.Numbers).Should().Equal(3, 4, 5);
        h.Log.Entries.Should().Contain(e => e.Level == LogLevel.Error && e.Text.Contains("InvalidOperationException", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_MessageTheSerializerCannotWrite_DroppedAsInternalErrorAndTheRestDelivered()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 3);
        h.Push(0);
        h.Client.Enqueue(new UserMessage(MessageType.Update, MessageIds.Next(), h.Time.GetUtcNow(), "anon-x", null, [new UserAttribute("bad", Guid.Empty)]));
        h.Push(2);

        await h.FlushAsync();

        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.InternalError].Should().Be(1);
        stats.Delivered.Should().Be(2);
        stats.Pending.Should().Be(0);
        h.Accepted.SelectMany(r => r.Numbers).Should().Equal(0, 2);
        h.Log.WithId(2012).Should().ContainSingle().Which.Level.Should().Be(LogLevel.Error);
    }

    [Fact]
    public async Task Send_LoggerThrowsWhileABatchIsSettled_FiguresStayBalancedAndDeliveryGoesOn()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 2);
        h.Log.ThrowOn = 2005;
        h.RespondInTurn(HttpStatusCode.BadRequest);
        h.PushMany(2);
        await h.FlushAsync();

        h.PushMany(2, from: 2);
        await h.FlushAsync();

        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.Rejected].Should().Be(2);
        stats.Delivered.Should().Be(2);
        stats.Pending.Should().Be(0);
        h.Log.WithId(2005).Should().ContainSingle("the line was written before the provider threw");
        h.Log.WithId(2013).Should().BeEmpty("the provider's fault does not reach the batch: it keeps its real outcome");
    }

    [Fact]
    public async Task Send_LoggerThrowsOnEveryLineAndTheKeyIsRefusedOnce_DeliveryFlushesAndShutdownGoOn()
    {
        var h = new DeliveryHarness(o => o.MaxBatchSize = 3);
        h.Log.ThrowOnEvery = true;
        h.RespondInTurn(HttpStatusCode.Unauthorized);
        h.PushMany(3);
        await h.FlushAsync();
        h.Client.Statistics.DroppedByReason[DropReason.Unauthorized].Should().Be(3);

        // After the key retry interval the key is tried again, and the service now accepts it.
        // The delivery loop lifts the refusal when it next runs, not as the clock moves: a call made before is still refused.
        h.Time.Advance(Dispatcher.KeyRetryInterval + TimeSpan.FromSeconds(1));
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Queue.Refusal is null);
        h.PushMany(5, from: 3);
        await h.FlushAsync();

        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(5);
        stats.Pending.Should().Be(0);
        h.Accepted.SelectMany(r => r.Numbers).Should().Equal(3, 4, 5, 6, 7);

        var shutdown = async () => await h.DisposeAsync();
        await shutdown.Should().NotThrowAsync("a logging provider's fault never reaches the app");
        h.Log.WithId(2006).Should().NotBeEmpty("the refused key was logged (and the provider threw)");
    }

    [Fact]
    public async Task Background_FaultsAndShutdown_LeaveNoUnobservedTaskException()
    {
        var unobserved = new List<Exception>();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.Flatten().InnerExceptions.Any(x => x.Message.Contains("collector handler fault", StringComparison.Ordinal) || x.ToString().Contains("at GrowlyticsSdk.Delivery", StringComparison.Ordinal)))
            {
                lock (unobserved)
                {
                    unobserved.Add(e.Exception);
                }
            }
        }

        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            await RunFaultyClientAsync();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }

        unobserved.Should().BeEmpty(string.Join(" ||| ", unobserved.Select(e => e.ToString())));
    }

    private static async Task RunFaultyClientAsync()
    {
        var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 2;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.RequestTimeout = TimeSpan.FromSeconds(1);
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
        });
        var never = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = r => (r.Index % 4) switch
        {
            0 => throw new InvalidOperationException("collector handler fault"),
            1 => Task.FromException<HttpResponseMessage>(new HttpRequestException("collector handler fault")),
            2 => never.Task,
            _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)),
        };
        h.PushMany(10);
        await h.FlushAsync();
        h.PushMany(4, from: 10);
        await h.DisposeAsync();
        h.AssertBalanced().Pending.Should().Be(0);
    }
}
