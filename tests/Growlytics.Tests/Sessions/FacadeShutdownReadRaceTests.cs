using System.Net;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// While the facade's client shuts down, <see cref="Growlytics.Client"/> (and so <c>Growlytics.User</c>) still returns it,
/// so a call made then is counted dropped (<see cref="DropReason.Shutdown"/>) instead of throwing. The facade let go of
/// its client before it recorded it as closing: a read on another thread between the two saw neither and threw "not
/// initialized", which an initialized facade never says.
/// </summary>
[Collection(FacadeCollection.Name)]
public sealed class FacadeShutdownReadRaceTests
{
    [Fact]
    public async Task Client_ReadOnAnotherThreadWhileTheFacadeShutsDown_NeverSaysNotInitialized()
    {
        using var http = new HttpClient(new OkHandler());
        var notInitialized = 0;
        var reads = 0L;
        using var stop = new CancellationTokenSource();
        Growlytics.Initialize(Options(http));
        var reader = Task.Factory.StartNew(
            () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        _ = Growlytics.Client;
                    }
                    catch (InvalidOperationException ex) when (ex.Message.StartsWith("Growlytics is not initialized", StringComparison.Ordinal))
                    {
                        // Between cycles the facade says it has shut down; "not initialized" is never true once it was.
                        Interlocked.Increment(ref notInitialized);
                    }
                    catch (InvalidOperationException)
                    {
                    }

                    reads++;
                }
            },
            TaskCreationOptions.LongRunning);
        try
        {
            for (var cycle = 0; cycle < 1500 && Volatile.Read(ref notInitialized) == 0; cycle++)
            {
                if (cycle > 0)
                {
                    Growlytics.Initialize(Options(http));
                }

                await Growlytics.ShutdownAsync();
            }
        }
        finally
        {
            stop.Cancel();
            await reader;
        }

        reads.Should().BePositive();
        notInitialized.Should().Be(0, "a facade that was initialized says it has shut down, or returns its closing client; never 'not initialized'");
    }

    private static GrowlyticsOptions Options(HttpClient http) => new()
    {
        ApiKey = "key",
        Endpoint = new Uri("http://127.0.0.1:9/"),
        Protocol = GrowlyticsProtocol.Batch,
        HttpClient = http,
        FlushOnProcessExit = false,
    };

    private sealed class OkHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request });
    }
}
