using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.Sessions;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Customers;

/// <summary>Stateless customer updates: the message each call queues under both protocols, validation, and the awaitable form.</summary>
public sealed class GrowlyticsCustomersTests : IDisposable
{
    private readonly CallerHarness _rest = new(o => o.Protocol = GrowlyticsProtocol.Rest);

    public void Dispose() => _rest.Dispose();

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest)]
    [InlineData(GrowlyticsProtocol.Batch)]
    public void Update_AnyProtocol_QueuesAnUpdateForThatCustomerWithoutAnAnonymousIdAndLeavesTheSessionAlone(GrowlyticsProtocol protocol)
    {
        using var harness = new CallerHarness(o => o.Protocol = protocol);
        var anonymousId = harness.User.AnonymousId;

        harness.Client.Customers.Update("c-9", One("plan", "pro"));

        var message = harness.Drain().Should().ContainSingle().Subject;
        (message.Type, message.UserId, message.AnonymousId, message.Calls).Should().Be((MessageType.Update, "c-9", (string?)null, 1));
        (harness.User.AnonymousId, harness.User.UserId).Should().Be((anonymousId, (string?)null));
        harness.Client.Counters.Held.Should().Be(0);
    }

    [Fact]
    public async Task Update_NoAttributeLeft_SendsAndCountsNothing()
    {
        _rest.Client.Customers.Update("c-9", new Dictionary<string, object?>());
        _rest.Client.Customers.Update("c-9", new Dictionary<string, object?> { ["plan"] = null, ["seats"] = null });
        _rest.Client.Customers.Update("c-9", new { plan = (string?)null });
        await _rest.Client.Customers.UpdateAsync("c-9", new UserAttributes());

        _rest.Drain().Should().BeEmpty("an update without attributes has nothing to send");
        var statistics = _rest.Client.Statistics;
        (statistics.Enqueued, statistics.Dropped, statistics.InvalidInputs).Should().Be((0L, 0L, 0L), "nothing was accepted, and nothing was wrong");
    }

    [Fact]
    public void Update_Batch_IsWrittenAsAnUpdateWithANullAnonymousId()
    {
        using var batch = new CallerHarness(o => o.Protocol = GrowlyticsProtocol.Batch);

        batch.Client.Customers.Update("c-9", One("plan", "pro"));

        var message = batch.Drain().Single();
        CallerHarness.ToJson(message).Should().Be(
            "{\"type\":\"update\",\"messageId\":\"" + message.MessageId + "\",\"eventTimestamp\":1764342000000,\"anonymousId\":null,\"userId\":\"c-9\","
            + "\"attributes\":[{\"name\":\"plan\",\"type\":\"string\",\"value\":\"pro\"}]}");
    }

    [Fact]
    public void Update_ThreeOverloads_QueueTheSameAttributes()
    {
        _rest.Client.Customers.Update("c-1", new { plan = "pro", visits = 3 });
        _rest.Client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro", ["visits"] = 3 });
        _rest.Client.Customers.Update("c-1", new UserAttributes { ["plan"] = "pro", ["visits"] = 3 });

        var messages = _rest.Drain();
        messages.Should().HaveCount(3);
        messages.Select(m => string.Join(",", m.Attributes.Select(a => a.Name + "=" + a.Value))).Distinct().Should().Equal("plan=pro,visits=3");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("01234567890123456789012345678901234567890")]
    public void Update_InvalidCustomerId_IsRejectedNamingTheCustomerId(string customerId)
    {
        var error = _rest.ShouldReject(() => _rest.Client.Customers.Update(customerId, One("plan", "pro")), null, "customer id");

        error.ParamName.Should().Be("customerId");
    }

    [Fact]
    public void Update_CustomerIdOf40Characters_IsAccepted()
    {
        var customerId = new string('c', 40);

        _rest.Client.Customers.Update(customerId, One("plan", "pro"));

        var message = _rest.Drain().Should().ContainSingle().Subject;
        (message.Type, message.UserId).Should().Be((MessageType.Update, customerId), "the whole id is sent, not cut");
        message.Attributes.Select(a => (a.Name, a.Value)).Should().Equal(("plan", (object)"pro"));
        _rest.Client.Statistics.InvalidInputs.Should().Be(0);
    }

    [Fact]
    public void Update_RestLimits_ApplyAsToPush()
    {
        _rest.ShouldReject(() => _rest.Client.Customers.Update("c-1", RestSessionTests.Many("a", 101)), null, "with the Rest protocol at most 100");
        _rest.ShouldReject(() => _rest.Client.Customers.Update("c-1", One(new string('n', 50), 1)), new string('n', 50), "fewer than 50 characters");
    }

    [Fact]
    public void Update_OnlyNullValues_QueuesNothing()
    {
        _rest.Client.Customers.Update("c-1", One("plan", null));

        _rest.Drain().Should().BeEmpty();
        _rest.Client.Statistics.Enqueued.Should().Be(0);
    }

    [Fact]
    public void Update_NullAttributes_ThrowsArgumentNull()
    {
        var act = () => _rest.Client.Customers.Update("c-1", (IReadOnlyDictionary<string, object?>)null!);

        act.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("attributes");
    }

    [Fact]
    public async Task UpdateAsync_InvalidCallWithDropHandling_CompletesAndCountsIt()
    {
        using var harness = new CallerHarness(o => o.InvalidInputHandling = InvalidInputHandling.Drop);

        await harness.Client.Customers.UpdateAsync("", One("plan", "pro"));

        harness.Drain().Should().BeEmpty();
        harness.Client.Statistics.InvalidInputs.Should().Be(1);
    }

    [Fact]
    public async Task UpdateAsync_Valid_CompletesOnceQueued()
    {
        await _rest.Client.Customers.UpdateAsync("c-1", new UserAttributes { ["plan"] = "pro" });
        await _rest.Client.Customers.UpdateAsync("c-2", new { plan = "free" });
        await _rest.Client.Customers.UpdateAsync("c-3", One("plan", "trial"), CancellationToken.None);

        _rest.Drain().Select(m => (m.UserId, m.AnonymousId)).Should().Equal(("c-1", null), ("c-2", null), ("c-3", null));
    }

    [Fact]
    public async Task UpdateAsync_AlreadyCancelled_ThrowsAndQueuesNothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var act = async () => await _rest.Client.Customers.UpdateAsync("c-1", One("plan", "pro"), cancelled.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        _rest.Drain().Should().BeEmpty();
    }

    [Fact]
    public async Task UpdateAsync_InvalidAttributes_ThrowsAtTheCall()
    {
        var act = () => _rest.Client.Customers.UpdateAsync("c-1", One("id", Guid.Empty));

        act.Should().Throw<GrowlyticsValidationException>();
        _rest.Drain().Should().BeEmpty();
        await Task.CompletedTask;
    }
}
