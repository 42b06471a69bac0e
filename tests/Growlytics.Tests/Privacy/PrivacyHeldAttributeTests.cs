using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>REST: anonymous attributes held for a login (scoped and process-wide) under opt-out and deletion.</summary>
public sealed class PrivacyHeldAttributeTests : IDisposable
{
    private const string Visitor = "visitor-1";
    private readonly CallerHarness _harness = new(o => o.Protocol = GrowlyticsProtocol.Rest);

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task DeleteLocalDataAsync_WithHeldAttributes_LaterLoginsCarryNoneOfThem()
    {
        PushInScope(Visitor, One("city", "Pune"));
        _harness.User.Push(One("plan", "free"));
        var dropped = new List<MessageDroppedEventArgs>();
        _harness.Client.MessageDropped += (_, e) => dropped.Add(e);

        await _harness.Client.DeleteLocalDataAsync();

        using (_harness.Client.BeginScope(Visitor, "u-1"))
        {
        }

        _harness.User.Identify("u-2", One("name", "John Wick"));
        var message = _harness.Drain().Should().ContainSingle().Subject;
        (message.UserId, message.Calls).Should().Be(("u-2", 1));
        message.Attributes.Select(a => a.Name).Should().Equal("name");
        var stats = _harness.Client.Statistics;
        (stats.DroppedByReason[DropReason.OptedOut], stats.Pending).Should().Be((2, 1));
        stats.Enqueued.Should().Be(stats.Delivered + stats.Dropped + stats.Pending);
        dropped.Should().OnlyContain(e => e.Reason == DropReason.OptedOut).And.HaveCount(2);
        _harness.Logs.Entries.Should().NotContain(e => e.Message.Contains("Pune", StringComparison.Ordinal));
    }

    [Fact]
    public void OptOut_WithHeldAttributes_DropsThemAndHoldsNothingNew()
    {
        PushInScope(Visitor, One("city", "Pune"));
        _harness.User.Push(One("plan", "free"));

        _harness.Client.OptOut();
        PushInScope(Visitor, One("visits", 2));
        _harness.User.Push(One("visits", 3));
        _harness.Client.OptIn();

        using (_harness.Client.BeginScope(Visitor, "u-1"))
        {
        }

        _harness.User.Identify("u-2");
        _harness.Drain().Should().BeEmpty("nothing held before or during the opt-out is sent");
        _harness.Client.HeldStore!.Count.Should().Be(0);
        var stats = _harness.Client.Statistics;
        (stats.DroppedByReason[DropReason.OptedOut], stats.Pending).Should().Be((4, 0));
        stats.Enqueued.Should().Be(stats.Delivered + stats.Dropped + stats.Pending);
    }

    private void PushInScope(string anonymousId, Dictionary<string, object?> attributes)
    {
        using (_harness.Client.BeginScope(anonymousId))
        {
            _harness.Client.User.Push(attributes);
        }
    }
}
