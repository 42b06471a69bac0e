using System.Collections;
using System.Collections.ObjectModel;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>The name-length and attribute-count limits follow the protocol: REST's documented ones, or Batch's.</summary>
public sealed class ProtocolLimitTests : IDisposable
{
    private readonly CallerHarness _rest = new(o => o.Protocol = GrowlyticsProtocol.Rest);
    private readonly CallerHarness _batch = new(o => o.Protocol = GrowlyticsProtocol.Batch);

    public ProtocolLimitTests()
    {
        // Identified, so a REST push is queued at once instead of held for the login.
        _rest.User.Identify("u-1");
        _rest.Drain();
    }

    public void Dispose()
    {
        _rest.Dispose();
        _batch.Dispose();
    }

    [Fact]
    public void Push_RestNameOf49Characters_IsAccepted()
    {
        var name = new string('n', 49);

        _rest.User.Push(One(name, 1));

        _rest.Drain().Single().Attributes.Single().Name.Should().Be(name);
    }

    [Fact]
    public void Push_RestNameOf50Characters_IsRejectedNamingTheLimitAndTheProtocol()
    {
        var name = new string('n', 50);

        var error = _rest.ShouldReject(() => _rest.User.Push(One(name, "secret-value")), name, "fewer than 50 characters", "secret-value");

        error.Message.Should().Contain("Rest protocol").And.Contain("50 characters");
    }

    [Fact]
    public void Push_RestNameOf50CharactersInEachShapeOfAttributes_IsRejected()
    {
        var name = new string('n', 50);

        _rest.ShouldReject(() => _rest.User.Push(new UserAttributes { [name] = "secret-value" }), name, "fewer than 50 characters", "secret-value");
        _rest.ShouldReject(() => _rest.User.Push(new ReadOnlyDictionary<string, object?>(One(name, "secret-value"))), name, "fewer than 50 characters", "secret-value");
        _rest.ShouldReject(() => _rest.User.Push(new Hashtable { [name] = "secret-value" }), name, "fewer than 50 characters", "secret-value");

        var property = nameof(Fifty.ANameOfFiftyCharactersThatIsOneTooLongForTheRestAp);
        property.Should().HaveLength(50);
        _rest.ShouldReject(() => _rest.User.Push(new Fifty()), property, "fewer than 50 characters", "secret-value");
        _rest.ShouldReject(() => _rest.User.Push((object)new Fifty()), property, "fewer than 50 characters", "secret-value");
    }

    [Fact]
    public void Push_RestNameOf50CharactersWithNullValue_IsStillRejected()
    {
        _rest.ShouldReject(() => _rest.User.Push(One(new string('n', 50), null)), new string('n', 50), "fewer than 50 characters");
    }

    [Fact]
    public void Push_Rest100Attributes_IsAccepted()
    {
        _rest.User.Push(Many(100));

        _rest.Drain().Single().Attributes.Should().HaveCount(100);
    }

    [Fact]
    public void Push_Rest101Attributes_IsRejectedNamingTheLimitAndTheProtocol()
    {
        _rest.ShouldReject(() => _rest.User.Push(Many(101)), null, "with the Rest protocol at most 100");
    }

    [Fact]
    public void Identify_Rest101Attributes_IsRejectedAndLeavesTheSessionAsItWas()
    {
        using var fresh = new CallerHarness(o => o.Protocol = GrowlyticsProtocol.Rest);

        fresh.ShouldReject(() => fresh.User.Identify("u-2", Many(101)), null, "at most 100");

        fresh.User.IsIdentified.Should().BeFalse();
    }

    [Fact]
    public void Push_BatchNameOf120Characters_IsAccepted()
    {
        var name = new string('n', 120);

        _batch.User.Push(One(name, 1));

        _batch.Drain().Single().Attributes.Single().Name.Should().Be(name);
    }

    [Fact]
    public void Push_BatchNameOf121Characters_IsRejectedNamingTheLimitAndTheProtocol()
    {
        var name = new string('n', 121);

        var error = _batch.ShouldReject(() => _batch.User.Push(One(name, 1)), name, "at most 120 characters");

        error.Message.Should().Contain("Batch protocol");
    }

    [Fact]
    public void Push_Batch256Attributes_IsAccepted()
    {
        _batch.User.Push(Many(256));

        _batch.Drain().Single().Attributes.Should().HaveCount(256);
    }

    [Fact]
    public void Push_Batch257Attributes_IsRejectedNamingTheLimitAndTheProtocol()
    {
        _batch.ShouldReject(() => _batch.User.Push(Many(257)), null, "with the Batch protocol at most 256");
    }

    [Fact]
    public void Push_EmptyName_StatesTheProtocolsNameRule()
    {
        _rest.ShouldReject(() => _rest.User.Push(One(string.Empty, 1)), string.Empty, "with the Rest protocol names must have 1 to 49 characters");
        _batch.ShouldReject(() => _batch.User.Push(One(string.Empty, 1)), string.Empty, "with the Batch protocol names must have 1 to 120 characters");
    }

    [Fact]
    public void Push_RestRulesOtherThanTheLimits_AreTodays()
    {
        _rest.ShouldReject(() => _rest.User.Push(One("bio", new string('v', 513))), "bio", "at most 512 characters");
        _rest.ShouldReject(() => _rest.User.Push(One("email", "not-an-address")), "email", "email address");
        _rest.ShouldReject(() => _rest.User.Push(One("id", Guid.Empty)), "id", "does not accept");
        _rest.Drain().Should().BeEmpty();
        _rest.User.Push(One("visits", 3));
        _rest.Drain().Single().Type.Should().Be(MessageType.Update);
    }

    private static Dictionary<string, object?> Many(int count) =>
        Enumerable.Range(0, count).ToDictionary(i => "a" + i, i => (object?)i);

    private sealed class Fifty
    {
        public string ANameOfFiftyCharactersThatIsOneTooLongForTheRestAp { get; init; } = "secret-value";
    }
}
