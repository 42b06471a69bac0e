using System.Collections.Concurrent;
using System.Net;

namespace GrowlyticsSdk.Testing.Tests;

/// <summary>
/// The Testing readme's recipe for testing delivery failures: a client with an HttpClient whose handler answers 503 and
/// MaxRetryAttempts = 0. What a test may assert after FlushAsync (Statistics) and after ShutdownAsync (MessageDropped).
/// </summary>
public sealed class FailingDeliveryRecipeTests
{
    [Fact]
    public async Task FlushAsync_DeliveryFails_CountsTheDropButDoesNotWaitForItsMessageDroppedHandler()
    {
        using var recorder = new GrowlyticsRecorder();
        using var http = new HttpClient(new ServiceUnavailableHandler());
        var client = recorder.CreateClient(o =>
        {
            o.HttpClient = http;
            o.MaxRetryAttempts = 0;
        });
        using var release = new ManualResetEventSlim();
        var handled = new TaskCompletionSource<MessageDroppedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.MessageDropped += (_, e) =>
        {
            // Held until the test lets it go: whatever FlushAsync waits for, it cannot be this handler.
            release.Wait(TimeSpan.FromSeconds(10));
            handled.TrySetResult(e);
        };

        try
        {
            client.Customers.Update("u-1", new Dictionary<string, object?> { ["plan"] = "pro" });
            await client.FlushAsync();

            client.Statistics.DroppedByReason[DropReason.RetriesExhausted].Should().Be(1, "FlushAsync returns once the drop is counted");
            handled.Task.IsCompleted.Should().BeFalse("FlushAsync does not wait for MessageDropped handlers, also not for delivery failures'");
        }
        finally
        {
            release.Set();
            await client.ShutdownAsync();
        }

        handled.Task.IsCompleted.Should().BeTrue("ShutdownAsync returns after the handlers have run for the drops counted before it");
        var dropped = await handled.Task;
        dropped.Reason.Should().Be(DropReason.RetriesExhausted);
        dropped.CustomerId.Should().Be("u-1");
        dropped.StatusCode.Should().Be(503);
        recorder.Calls.Should().BeEmpty();
    }

    [Fact]
    public async Task ShutdownAsync_DeliveryFailsWithTheRecipe_HasRaisedMessageDroppedForEachDrop()
    {
        using var recorder = new GrowlyticsRecorder();
        using var http = new HttpClient(new ServiceUnavailableHandler());
        var client = recorder.CreateClient(o =>
        {
            o.HttpClient = http;
            o.MaxRetryAttempts = 0;
        });
        var drops = new ConcurrentQueue<MessageDroppedEventArgs>();
        client.MessageDropped += (_, e) => drops.Enqueue(e);

        client.Customers.Update("u-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        client.Customers.Update("u-2", new Dictionary<string, object?> { ["plan"] = "team" });
        await client.FlushAsync();
        await client.ShutdownAsync();

        drops.Should().HaveCount(2).And.OnlyContain(d => d.Reason == DropReason.RetriesExhausted);
        drops.Select(d => d.CustomerId).Should().BeEquivalentTo("u-1", "u-2");
    }

    private sealed class ServiceUnavailableHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request });
    }
}
