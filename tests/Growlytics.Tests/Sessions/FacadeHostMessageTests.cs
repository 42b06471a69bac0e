using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GrowlyticsSdk.Tests.Sessions;

[Collection(ProcessStateCollection.Name)]
public sealed class FacadeHostMessageTests
{
    [Fact]
    public async Task User_AddGrowlyticsCalledButHostNotStarted_SaysTheHostHasNotStarted()
    {
        var services = new ServiceCollection();
        services.AddGrowlytics(o => o.ApiKey = "key");
        await using var provider = services.BuildServiceProvider();

        var act = () => Growlytics.User;

        act.Should().Throw<InvalidOperationException>()
            .Which.Message.Should().Contain("AddGrowlytics").And.Contain("host has not started").And.StartWith("Growlytics is registered with services.AddGrowlytics", "the host is the first thing the message names");

        // Starting the host attaches the client; once it has stopped, the message says so (not "call Initialize" alone).
        var hosted = provider.GetServices<IHostedService>().ToList();
        await hosted[0].StartAsync(CancellationToken.None);
        Growlytics.Client.Should().BeSameAs(provider.GetRequiredService<GrowlyticsClient>());
        await hosted[0].StopAsync(CancellationToken.None);
        act.Should().Throw<InvalidOperationException>().WithMessage("*AddGrowlytics*has shut down*host stopped*Growlytics.Initialize*");

        // Initialize afterwards: once that client is shut down, the message says the facade's own client has.
        await using (Growlytics.Initialize("key", o => { o.Endpoint = new Uri("http://127.0.0.1:9/"); o.FlushOnProcessExit = false; }))
        {
        }

        act.Should().Throw<InvalidOperationException>().WithMessage("Growlytics has shut down*Growlytics.Initialize*again*")
            .Which.Message.Should().NotContain("AddGrowlytics", "this client was Initialize's, not a host's");
    }

    [Theory]
    [InlineData("facade")]
    [InlineData("client")]
    [InlineData("dispose")]
    public async Task Client_AfterInitializesClientHasShutDown_SaysItShutDown_AndInitializeAgainClearsIt(string how)
    {
        var act = () => Growlytics.Client;
        var client = Growlytics.Initialize("key", o => { o.Endpoint = new Uri("http://127.0.0.1:9/"); o.FlushOnProcessExit = false; });
        switch (how)
        {
            case "facade":
                await Growlytics.ShutdownAsync();
                break;
            case "client":
                await client.ShutdownAsync();
                break;
            default:
                await client.DisposeAsync();
                break;
        }

        act.Should().Throw<InvalidOperationException>().WithMessage("Growlytics has shut down*call Growlytics.Initialize*again*");
        Growlytics.IsInitialized.Should().BeFalse();

        await using var again = Growlytics.Initialize("key", o => { o.Endpoint = new Uri("http://127.0.0.1:9/"); o.FlushOnProcessExit = false; });
        Growlytics.Client.Should().BeSameAs(again);
    }
}
