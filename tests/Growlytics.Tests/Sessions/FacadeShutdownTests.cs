using System.Net;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// <see cref="Growlytics.ShutdownAsync"/> called while a shutdown of the facade's client already runs (begun by another
/// thread through the facade, or by the client's owner) waits for that shutdown: code that awaits it before the process
/// exits does not exit with messages still being delivered.
/// </summary>
[Collection(FacadeCollection.Name)]
public sealed class FacadeShutdownTests
{
    private static readonly TimeSpan RealBound = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ShutdownAsync_WhileAShutdownRuns_CompletesWithThatShutdown(bool firstByTheOwner)
    {
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var http = new HttpClient(new AnswerWhenReleased(answer.Task));
        var client = Growlytics.Initialize("key", o =>
        {
            o.Endpoint = new Uri("http://127.0.0.1:9/");
            o.Protocol = GrowlyticsProtocol.Batch;
            o.HttpClient = http;
            o.FlushOnProcessExit = false;
        });
        Growlytics.Customers.Update("customer-1", new Dictionary<string, object?> { ["plan"] = "pro" });

        var first = firstByTheOwner ? client.ShutdownAsync() : Growlytics.ShutdownAsync();
        var second = Growlytics.ShutdownAsync();
        Growlytics.IsInitialized.Should().BeFalse("the facade lets go of its client as the shutdown begins");
        await Task.Delay(100);
        second.IsCompleted.Should().BeFalse("the update is still being delivered");

        answer.SetResult(true);
        await Task.WhenAll(first, second).WaitAsync(RealBound);
        client.Statistics.Delivered.Should().Be(1);
        (await Growlytics.ShutdownAsync().WaitAsync(RealBound).ContinueWith(t => t.IsCompletedSuccessfully)).Should().BeTrue("a later call, with nothing to shut down, returns at once");
    }

    private sealed class AnswerWhenReleased(Task released) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await released.WaitAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
