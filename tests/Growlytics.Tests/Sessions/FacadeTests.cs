namespace GrowlyticsSdk.Tests.Sessions;

[Collection(FacadeCollection.Name)]
public sealed class FacadeTests
{
    [Fact]
    public void User_BeforeInitialize_ThrowsSayingWhatToCall()
    {
        var act = () => Growlytics.User;

        act.Should().Throw<InvalidOperationException>().WithMessage("*Growlytics.Initialize*");
    }

    [Fact]
    public void BeginScopeAndFlush_BeforeInitialize_ThrowSayingWhatToCall()
    {
        var scope = () => Growlytics.BeginScope();
        Action flush = () => _ = Growlytics.FlushAsync();

        scope.Should().Throw<InvalidOperationException>().WithMessage("*Growlytics.Initialize*");
        flush.Should().Throw<InvalidOperationException>().WithMessage("*Growlytics.Initialize*");
    }

    [Fact]
    public async Task Customers_AfterInitialize_IsTheClientsCustomersAndBeforeItThrows()
    {
        var before = () => Growlytics.Customers;
        before.Should().Throw<InvalidOperationException>().WithMessage("*Growlytics.Initialize*");
        var client = Growlytics.Initialize("key", o => { o.Endpoint = new Uri("http://127.0.0.1:9/"); o.FlushOnProcessExit = false; });
        try
        {
            Growlytics.Customers.Should().BeSameAs(client.Customers);
        }
        finally
        {
            await Growlytics.ShutdownAsync();
        }
    }

    [Fact]
    public async Task Initialize_Twice_ThrowsUntilShutdown()
    {
        Growlytics.Initialize("key", o => { o.Endpoint = new Uri("http://127.0.0.1:9/"); o.FlushOnProcessExit = false; });
        try
        {
            var again = () => Growlytics.Initialize("key");
            again.Should().Throw<InvalidOperationException>().WithMessage("*ShutdownAsync*");
            Growlytics.User.AnonymousId.Should().NotBeNullOrEmpty();
        }
        finally
        {
            await Growlytics.ShutdownAsync();
        }

        Growlytics.IsInitialized.Should().BeFalse();
    }

    [Fact]
    public async Task Initialize_ClientDisposedDirectly_LeavesTheFacadeUninitialized()
    {
        await using (var client = Growlytics.Initialize("key", o => o.Endpoint = new Uri("http://127.0.0.1:9/")))
        {
            Growlytics.Client.Should().BeSameAs(client);
        }

        Growlytics.IsInitialized.Should().BeFalse("a disposed client must not stay behind the facade");
        var again = Growlytics.Initialize("key", o => { o.Endpoint = new Uri("http://127.0.0.1:9/"); o.FlushOnProcessExit = false; });
        try
        {
            Growlytics.Client.Should().BeSameAs(again);
        }
        finally
        {
            await Growlytics.ShutdownAsync();
        }
    }
}

/// <summary>Tests that touch the static facade run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FacadeCollection
{
    public const string Name = "Facade";
}
