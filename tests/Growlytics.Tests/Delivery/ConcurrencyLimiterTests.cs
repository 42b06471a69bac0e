using GrowlyticsSdk.Delivery;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

public sealed class ConcurrencyLimiterTests
{
    [Fact]
    public void TryAcquireForNew_AtTheLimit_Refuses()
    {
        var limiter = new ConcurrencyLimiter(3, new FakeTimeProvider(), () => { });

        Enumerable.Range(0, 3).Select(_ => limiter.TryAcquireForNew()).ToList().Should().AllBeEquivalentTo(true);
        limiter.TryAcquireForNew().Should().BeFalse();
        limiter.Release();
        limiter.TryAcquireForNew().Should().BeTrue();
    }

    [Fact]
    public void OnOverload_HalvesOncePerSpacing_SuccessesGrowItBackByOne()
    {
        var time = new FakeTimeProvider();
        var limiter = new ConcurrencyLimiter(16, time, () => { });

        limiter.OnOverload();
        limiter.OnOverload();
        limiter.Limit.Should().Be(8, "a burst of refusals inside one spacing counts once");

        time.Advance(ConcurrencyLimiter.DecreaseSpacing);
        limiter.OnOverload();
        limiter.Limit.Should().Be(4);

        limiter.OnSuccess();
        limiter.OnSuccess();
        limiter.Limit.Should().Be(6);
        for (var i = 0; i < 100; i++)
        {
            limiter.OnSuccess();
        }

        limiter.Limit.Should().Be(16, "never above the configured maximum");
    }

    [Fact]
    public void OnOverload_ATickShortOfASecondAfterTheHalving_DoesNotHalveAgain_ASecondAfterItDoes()
    {
        var time = new FakeTimeProvider();
        var limiter = new ConcurrencyLimiter(16, time, () => { });
        limiter.OnOverload();

        time.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        limiter.OnOverload();
        limiter.Limit.Should().Be(8, "the limit halves at most once a second");

        time.Advance(TimeSpan.FromTicks(1));
        limiter.OnOverload();
        limiter.Limit.Should().Be(4);
    }

    [Fact]
    public void OnOverload_NeverBelowOne()
    {
        var time = new FakeTimeProvider();
        var limiter = new ConcurrencyLimiter(2, time, () => { });
        for (var i = 0; i < 5; i++)
        {
            limiter.OnOverload();
            time.Advance(ConcurrencyLimiter.DecreaseSpacing);
        }

        limiter.Limit.Should().Be(1);
        limiter.TryAcquireForNew().Should().BeTrue();
    }

    [Fact]
    public async Task ReleaseAfter_TakesTheSlotUntilTheDelayEnds_ThenAWaitingRetryGetsIt()
    {
        var time = new FakeTimeProvider();
        var rooms = 0;
        var limiter = new ConcurrencyLimiter(1, time, () => rooms++);
        limiter.TryAcquireForNew().Should().BeTrue();

        limiter.ReleaseAfter(TimeSpan.FromSeconds(1));
        limiter.Active.Should().Be(0, "nothing is on the wire");
        limiter.TryAcquireForNew().Should().BeFalse("the service asked to come back in a second");
        var retry = limiter.AcquireAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromMilliseconds(999));
        retry.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));
        await retry.WaitAsync(TimeSpan.FromSeconds(5));
        rooms.Should().Be(0, "the slot went to the waiting retry");
        limiter.Release();
        rooms.Should().Be(1);
    }

    [Fact]
    public void EndCooling_GivesTheSlotsBack_AndLaterAnswersReleaseAtOnce()
    {
        var limiter = new ConcurrencyLimiter(2, new FakeTimeProvider(), () => { });
        limiter.TryAcquireForNew().Should().BeTrue();
        limiter.TryAcquireForNew().Should().BeTrue();
        limiter.ReleaseAfter(TimeSpan.FromSeconds(30));

        limiter.EndCooling();
        limiter.TryAcquireForNew().Should().BeTrue("the slot held for the Retry-After is back");
        limiter.TryAcquireForNew().Should().BeFalse();
        limiter.ReleaseAfter(TimeSpan.FromSeconds(30));
        limiter.TryAcquireForNew().Should().BeTrue("delivery has ended: no slot is held for a Retry-After");
    }

    [Fact]
    public void OnSuccess_WhileASlotIsHeldForARetryAfter_GivesThatSlotBack()
    {
        var limiter = new ConcurrencyLimiter(2, new FakeTimeProvider(), () => { });
        limiter.TryAcquireForNew().Should().BeTrue();
        limiter.TryAcquireForNew().Should().BeTrue();
        limiter.ReleaseAfter(TimeSpan.FromSeconds(1));

        // The other request was accepted: the service is not refusing everything, and the limit (already at its maximum)
        // is what bounds the client then.
        limiter.OnSuccess();
        limiter.Release();

        limiter.TryAcquireForNew().Should().BeTrue();
        limiter.TryAcquireForNew().Should().BeTrue("a success gives back a slot held for a Retry-After");
        limiter.TryAcquireForNew().Should().BeFalse();
    }

    [Fact]
    public async Task AcquireAsync_RetryWaiting_GoesBeforeNewBatches()
    {
        var rooms = 0;
        var limiter = new ConcurrencyLimiter(1, new FakeTimeProvider(), () => rooms++);
        limiter.TryAcquireForNew().Should().BeTrue();

        var retry = limiter.AcquireAsync(CancellationToken.None);
        retry.IsCompleted.Should().BeFalse();
        limiter.TryAcquireForNew().Should().BeFalse("a retry is waiting for the slot");

        limiter.Release();
        await retry.WaitAsync(TimeSpan.FromSeconds(5));
        limiter.Active.Should().Be(1);
        rooms.Should().Be(0, "the freed slot went to the retry, not to a new batch");
        limiter.Release();
        rooms.Should().Be(1);
    }

    [Fact]
    public async Task AcquireAsync_Cancelled_DoesNotHoldASlot()
    {
        var limiter = new ConcurrencyLimiter(1, new FakeTimeProvider(), () => { });
        limiter.TryAcquireForNew();
        using var cancel = new CancellationTokenSource();
        var waiting = limiter.AcquireAsync(cancel.Token);

        await cancel.CancelAsync();
        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<OperationCanceledException>();
        limiter.Release();

        limiter.Active.Should().Be(0);
        limiter.TryAcquireForNew().Should().BeTrue();
    }
}
