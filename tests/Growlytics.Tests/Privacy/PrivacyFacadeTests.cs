using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>The facade's privacy members delegate to the client the current flow uses.</summary>
public sealed class PrivacyFacadeTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Facade_PrivacyMembers_DelegateToTheClient()
    {
        using var _ = Growlytics.UseClient(_harness.Client);
        var anonymousId = _harness.User.AnonymousId;

        Growlytics.OptOut();
        var optedOut = (Growlytics.IsOptedOut, _harness.Client.IsOptedOut);
        Growlytics.OptIn();
        await Growlytics.DeleteLocalDataAsync();

        optedOut.Should().Be((true, true));
        (Growlytics.IsOptedOut, _harness.Client.IsOptedOut).Should().Be((false, false));
        _harness.User.AnonymousId.Should().NotBe(anonymousId, "deletion starts a new anonymous session");
    }

    [Fact]
    public async Task DeleteLocalDataAsync_TokenCancelledBeforeTheCall_ThrowsEvenWhenTheDeletionEndsAtOnce()
    {
        var anonymousId = _harness.User.AnonymousId;

        // Without storage the deletion can end before the call returns: the task must still say the wait was cancelled.
        var act = () => _harness.Client.DeleteLocalDataAsync(new CancellationToken(canceled: true));

        await act.Should().ThrowAsync<OperationCanceledException>();
        _harness.User.AnonymousId.Should().NotBe(anonymousId, "the deletion goes on");
    }
}
