using System.Net;
using System.Reflection;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// On .NET Framework an application domain that unloads while its process runs on (ASP.NET's recycling of an app, a
/// web.config or bin change, a plug-in host) raises <see cref="AppDomain.DomainUnload"/> in it, never
/// <see cref="AppDomain.ProcessExit"/>: the facade's client flushes then too, or what it had accepted was lost with
/// the domain, uncounted, and its storage folder stayed taken by the unloaded domain's handle. (.NET never raises the
/// event; the test raises it as .NET Framework would.)
/// </summary>
[Collection(FacadeCollection.Name)]
public sealed class FacadeDomainUnloadTests
{
    [Fact]
    public async Task DomainUnload_OfTheFacadesDomain_DeliversWhatWasAcceptedAndShutsTheClientDown()
    {
        var sent = 0;
        using var http = new HttpClient(new AnsweringHandler(() => Interlocked.Increment(ref sent)));
        var client = Growlytics.Initialize(new GrowlyticsOptions
        {
            ApiKey = "key",
            Endpoint = new Uri("http://127.0.0.1:9/"),
            Protocol = GrowlyticsProtocol.Batch,
            HttpClient = http,
            FlushInterval = TimeSpan.FromHours(1),
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        });
        try
        {
            Growlytics.User.Push(new Dictionary<string, object?> { ["plan"] = "pro" });

            RaiseDomainUnload();

            client.IsShutDown.Should().BeTrue("the domain's end shuts the facade's client down, as the process's end does");
            client.Statistics.Delivered.Should().Be(1, "what was accepted is delivered before the domain goes");
            sent.Should().Be(1);
            DomainUnloadHandlers().Should().BeEmpty("the handler is removed once the shutdown has completed");
        }
        finally
        {
            // Leaves the facade as a shutdown leaves it (the next test may initialize it again).
            if (Growlytics.IsInitialized)
            {
                await Growlytics.ShutdownAsync();
            }

            Growlytics.Initialize("key", o => { o.Endpoint = new Uri("http://127.0.0.1:9/"); o.FlushOnProcessExit = false; });
            await Growlytics.ShutdownAsync();
        }
    }

    // What .NET Framework does as the domain unloads: the event's handlers, in the order they were added.
    private static void RaiseDomainUnload()
    {
        var handlers = DomainUnloadHandlers();
        handlers.Should().NotBeEmpty("Initialize adds a handler of the domain's unload");
        foreach (var handler in handlers)
        {
            handler(AppDomain.CurrentDomain, EventArgs.Empty);
        }
    }

    private static EventHandler[] DomainUnloadHandlers()
    {
        var field = typeof(AppDomain).GetField(nameof(AppDomain.DomainUnload), BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("AppDomain.DomainUnload has no field of its own on this runtime.");
        return ((EventHandler?)field.GetValue(AppDomain.CurrentDomain))?.GetInvocationList().Cast<EventHandler>().ToArray() ?? [];
    }

    private sealed class AnsweringHandler(Action sent) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            sent();
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request });
        }
    }
}
