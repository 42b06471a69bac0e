using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Validation;

public sealed class UserIdValidationTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void Identify_IdOf40Characters_IsAccepted()
    {
        var id = new string('7', 40);

        _harness.User.Identify(id);

        _harness.Drain().Should().ContainSingle().Which.UserId.Should().Be(id);
        _harness.User.UserId.Should().Be(id);
    }

    [Fact]
    public void Identify_IdOf41Characters_IsRejectedWithoutTheId()
    {
        var id = "secret-" + new string('7', 34);

        var error = _harness.ShouldReject(() => _harness.User.Identify(id), null, "at most 40 characters", id);

        error.ParamName.Should().Be("userId");
        error.Message.Should().Contain("41 characters");
    }

    [Fact]
    public void Messages_SayUserIdOrCustomerIdAsTheCallTookIt()
    {
        _harness.ShouldReject(() => _harness.User.Identify(new string('7', 41)), null, "The user id has 41 characters: user ids must be at most 40 characters.");

        var error = _harness.ShouldReject(() => _harness.Client.Customers.Update(" ", new { city = "Pune" }), null, "The customer id must be a non-blank string.");
        error.ParamName.Should().Be("customerId");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\r\n")]
    [InlineData("\u00a0\u2003")]
    public void Identify_BlankId_IsRejected(string id)
    {
        var error = _harness.ShouldReject(() => _harness.User.Identify(id), null, "non-blank");

        error.ParamName.Should().Be("userId");
    }

    [Fact]
    public void Identify_NullId_IsRejectedAsBlank()
    {
        _harness.ShouldReject(() => _harness.User.Identify(null!), null, "non-blank");
        _harness.ShouldReject(() => _harness.User.Identify(null!, new { a = 1 }), null, "non-blank");
    }

    [Fact]
    public void Identify_IdWithSurroundingSpaces_IsSentAsGiven()
    {
        _harness.User.Identify(" u-1 ");

        _harness.Drain().Single().UserId.Should().Be(" u-1 ");
    }

    [Fact]
    public void Identify_BadIdWhileIdentified_KeepsTheCurrentUserAndQueuesNoLogout()
    {
        _harness.User.Identify("u-1");
        _harness.Drain();

        _harness.ShouldReject(() => _harness.User.Identify(new string('x', 41), new { plan = "pro" }), null, "at most 40");

        _harness.User.UserId.Should().Be("u-1");
        _harness.User.Push(new { plan = "free" });
        _harness.Drain().Should().ContainSingle().Which.Type.Should().Be(MessageType.Update);
    }

    [Fact]
    public void BeginScope_WithTooLongUserId_IsRejected()
    {
        var act = () => _harness.Client.BeginScope(null, new string('x', 41));

        act.Should().Throw<GrowlyticsValidationException>().WithMessage("*at most 40*");
    }
}
