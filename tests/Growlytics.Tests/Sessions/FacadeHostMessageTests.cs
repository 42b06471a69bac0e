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

        // Starting the host attaches the client; once it stops, the facade is simply not initialized again.
        var hosted = provider.GetServices<IHostedService>().ToList();
        await hosted[0].StartAsync(CancellationToken.None);
        Growlytics.Client.Should().BeSameAs(provider.GetRequiredService<GrowlyticsClient>());
        await hosted[0].StopAsync(CancellationToken.None);
        act.Should().Throw<InvalidOperationException>().WithMessage("*Call Growlytics.Initialize*");
    }
}
