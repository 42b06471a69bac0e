using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// <c>BeginScope(anonymousId, userId)</c> with <see cref="GrowlyticsProtocol.Rest"/> is the login of a visitor whose
/// anonymous pushes were held: it queues their upsert for the user (as the middleware's authenticated request does). Its
/// XML doc said "No message is sent"; it now says when one is.
/// </summary>
public sealed class BeginScopeIdentifiedSendsHeldTests : IDisposable
{
    private readonly CallerHarness _harness = new(o => o.Protocol = GrowlyticsProtocol.Rest);

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void BeginScope_IdentifiedVisitorWithHeldPushes_QueuesTheirUpsertForTheUser()
    {
        using (_harness.Client.BeginScope("visitor-1"))
        {
            _harness.Client.User.Push(new { city = "Pune" });
        }

        _harness.Drain().Should().BeEmpty("REST holds an anonymous push for the login");

        using (_harness.Client.BeginScope("visitor-1", "u-1"))
        {
            var sent = _harness.Drain().Should().ContainSingle().Which;
            sent.UserId.Should().Be("u-1");
            sent.Attributes.Should().ContainSingle(a => a.Name == "city");
        }
    }

    [Fact]
    public void BeginScope_IdentifiedVisitorWithNothingHeld_QueuesNothing()
    {
        using (_harness.Client.BeginScope("visitor-2", "u-2"))
        {
            _harness.Drain().Should().BeEmpty();
        }
    }
}
