using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>
/// The reserved <c>email</c> with an invisible format character in it: a byte order mark that a CSV import leaves at the
/// start of its first field, a zero-width space or a soft hyphen copied from a web page, a direction override. The
/// address looks right on screen but no mail reaches it, and it then fed Growlytics' email campaigns: it must be refused
/// as whitespace and control characters are, by every overload. Letters outside ASCII (an internationalised address)
/// stay accepted.
/// </summary>
public sealed class EmailInvisibleCharacterTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Theory]
    [InlineData("\uFEFFjohn@gmail.com")]
    [InlineData("john\u200B@gmail.com")]
    [InlineData("john@gmail.com\u200B")]
    [InlineData("jo\u00ADhn@gmail.com")]
    [InlineData("john@gm\u2060ail.com")]
    [InlineData("john@\u202Egmail.com")]
    public void Push_EmailWithAnInvisibleFormatCharacter_IsRejectedWithoutTheValue(string email)
    {
        _harness.ShouldReject(() => _harness.User.Push(One("email", email)), "email", "email address", email, "john");

        _harness.Drain().Should().BeEmpty();
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest)]
    [InlineData(GrowlyticsProtocol.Batch)]
    public void EveryOverload_EmailWithAByteOrderMark_IsRejectedAndChangesNothing(GrowlyticsProtocol protocol)
    {
        using var harness = new CallerHarness(o => o.Protocol = protocol);
        const string Email = "\uFEFFjohn@gmail.com";

        harness.ShouldReject(() => harness.User.Push(new { email = Email }), "email", "email address", "john");
        harness.ShouldReject(() => harness.User.Push<object>(new { Email }), "email", "email address", "john");
        harness.ShouldReject(() => harness.User.Push(new UserAttributes { Email = Email }), "email", "email address", "john");
        harness.ShouldReject(() => harness.User.Identify("u-1", new { email = Email }), "email", "email address", "john");
        harness.ShouldReject(() => harness.User.Identify("u-1", One("email", Email)), "email", "email address", "john");
        harness.ShouldReject(() => harness.Client.Customers.Update("c-1", new UserAttributes { Email = Email }), "email", "email address", "john");

        harness.User.IsIdentified.Should().BeFalse();
        harness.Drain().Should().BeEmpty();
        harness.Client.Counters.Held.Should().Be(0, "nothing was held for a login either");
    }

    [Fact]
    public void Push_EmailWithAByteOrderMarkUnderDrop_IsCountedAsAnInvalidCall()
    {
        using var harness = new CallerHarness(o => o.InvalidInputHandling = InvalidInputHandling.Drop);

        harness.User.Push(One("email", "\uFEFFjohn@gmail.com"));

        harness.Drain().Should().BeEmpty();
        (harness.Client.Statistics.InvalidInputs, harness.Client.Statistics.Enqueued).Should().Be((1L, 0L));
    }

    [Theory]
    [InlineData("josé@exämple.com")]
    [InlineData("用户@例子.广告")]
    public void Push_EmailWithLettersOutsideAscii_IsStillAccepted(string email)
    {
        _harness.User.Push(One("email", email));

        _harness.Drain().Single().Attributes.Single().Value.Should().Be(email);
    }
}
