using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>
/// The reserved <c>email</c>'s domain: an empty label right after the '@' is refused whatever follows it, as it is in
/// <c>john@.com</c>. With a second dot after it (<c>john@.gmail.com</c>) the check looked only at the last dot and took
/// an address that no mail can reach, which then fed Growlytics' email campaigns.
/// </summary>
public sealed class EmailDomainTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Theory]
    [InlineData("john@.gmail.com")]
    [InlineData("john@.mail.example.co.in")]
    public void Push_EmailWhoseDomainStartsWithADot_IsRejectedWithoutTheValue(string email)
    {
        _harness.ShouldReject(() => _harness.User.Push(One("email", email)), "email", "email address", email);
    }

    [Theory]
    [InlineData("john.@gmail.com")]
    [InlineData("john@mail.gmail.com")]
    [InlineData("a@b.c")]
    public void Push_EmailWithADotElsewhere_IsStillAccepted(string email)
    {
        _harness.User.Push(One("email", email));

        _harness.Drain().Single().Attributes.Single().Value.Should().Be(email);
    }
}
