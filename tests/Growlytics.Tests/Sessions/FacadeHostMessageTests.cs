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

        // Initialize afterwards: the usual message again once that client is shut down.
        await using (Growlytics.Initialize("key", o => { o.Endpoint = new Uri("http://127.0.0.1:9/"); o.FlushOnProcessExit = false; }))
        {
        }

        act.Should().Throw<InvalidOperationException>().WithMessage("Growlytics is not initialized*");
    }
}
