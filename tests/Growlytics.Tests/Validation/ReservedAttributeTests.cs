using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using GrowlyticsSdk.Validation;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Validation;

public sealed class ReservedAttributeTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Theory]
    [InlineData("john@gmail.com")]
    [InlineData("john.wick+tag@mail.example.co.in")]
    [InlineData("a@b.c")]
    public void Push_PlausibleEmail_IsAccepted(string email)
    {
        _harness.User.Push(One("email", email));

        _harness.Drain().Single().Attributes.Single().Value.Should().Be(email);
    }

    [Theory]
    [InlineData("")]
    [InlineData("john")]
    [InlineData("john@")]
    [InlineData("@gmail.com")]
    [InlineData("john@gmail")]
    [InlineData("john@@gmail.com")]
    [InlineData("jo@hn@gmail.com")]
    [InlineData("john wick@gmail.com")]
    [InlineData("john@gmail.")]
    [InlineData("john@.com")]
    [InlineData("john@gmail..com")]
    [InlineData("john@gm\nail.com")]
    public void Push_MalformedEmail_IsRejectedWithoutTheValue(string email)
    {
        var secrets = email.Length > 0 ? new[] { email } : [];

        _harness.ShouldReject(() => _harness.User.Push(One("email", email)), "email", "email address", secrets);
    }

    [Theory]
    [InlineData("1234567")]
    [InlineData("123456789012345")]
    [InlineData("9876543210")]
    [InlineData("+919876543210")]
    [InlineData("+1 (555) 123-4567")]
    [InlineData("98.76.54.32.10")]
    [InlineData("+44 20 7946 0958")]
    public void Push_MobileWith7To15Digits_IsAccepted(string mobile)
    {
        _harness.User.Push(One("mobile", mobile));

        _harness.Drain().Single().Attributes.Single().Value.Should().Be(mobile);
    }

    [Theory]
    [InlineData("123456")]
    [InlineData("+1 (23) 456")]
    [InlineData("1234567890123456")]
    [InlineData("+1 234 567 890 123 456")]
    [InlineData("")]
    [InlineData("--- ---")]
    [InlineData("12+3456789")]
    [InlineData("++1234567")]
    [InlineData("98765abc43")]
    [InlineData("98765/43210")]
    public void Push_MobileOutsideTheRules_IsRejectedWithoutTheValue(string mobile)
    {
        var secrets = mobile.Length > 3 ? new[] { mobile } : [];

        _harness.ShouldReject(() => _harness.User.Push(One("mobile", mobile)), "mobile", "7 to 15 digits", secrets);
    }

    [Theory]
    [InlineData("name")]
    [InlineData("email")]
    [InlineData("mobile")]
    public void Push_ReservedAttributeOfWrongType_IsRejected(string name)
    {
        _harness.ShouldReject(() => _harness.User.Push(One(name, 9876543210L)), name, "must be a string", "9876543210");
        _harness.ShouldReject(() => _harness.User.Push(One(name, true)), name, "must be a string");
        _harness.ShouldReject(() => _harness.User.Push(One(name, DateTime.UnixEpoch)), name, "must be a string");
    }

    [Fact]
    public void Push_ReservedAttributeAsChar_IsAStringValueCheckedByItsRules()
    {
        _harness.User.Push(One("name", 'J'));
        var sent = _harness.Drain().Single().Attributes.Single();
        sent.Name.Should().Be("name");
        sent.Kind.Should().Be(AttributeKind.String);
        sent.Value.ToString().Should().Be("J");

        _harness.ShouldReject(() => _harness.User.Push(One("email", 'x')), "email", "must look like an email address");
        _harness.ShouldReject(() => _harness.User.Push(One("mobile", '7')), "mobile", "7 to 15 digits");
        new UserAttributes { ["name"] = 'J' }.Name.Should().Be("J");
    }

    [Theory]
    [InlineData("EMAIL", "email")]
    [InlineData("Email", "email")]
    [InlineData("MoBiLe", "mobile")]
    public void Push_ReservedNameInAnyCase_IsCheckedAsReserved(string given, string reserved)
    {
        _harness.ShouldReject(() => _harness.User.Push(One(given, "not-valid")), reserved, reserved, "not-valid");
    }

    [Fact]
    public void Push_AnonymousObjectWithPascalCaseReservedProperties_SendsTheReservedNames()
    {
        _harness.User.Push(new { Name = "John Wick", Email = "john@gmail.com", Mobile = "9876543210" });

        _harness.Drain().Single().Attributes.Select(a => a.Name).Should().Equal("name", "email", "mobile");
    }

    [Fact]
    public void Push_SameReservedNameTwiceInDifferentCase_IsRejected()
    {
        var attributes = new Dictionary<string, object?> { ["email"] = "a@b.co", ["Email"] = "c@d.co" };

        _harness.ShouldReject(() => _harness.User.Push(attributes), "email", "more than once", "a@b.co", "c@d.co");
    }

    [Fact]
    public void UserAttributes_IndexerWithReservedNameInAnyCase_SetsTheTypedProperty()
    {
        var attributes = new UserAttributes { ["EMAIL"] = "john@gmail.com", ["Mobile"] = "9876543210", ["NAME"] = "John" };

        attributes.Email.Should().Be("john@gmail.com");
        attributes.Mobile.Should().Be("9876543210");
        attributes.Name.Should().Be("John");
        attributes.Count.Should().Be(3);
    }

    [Fact]
    public void UserAttributes_NullKeyInLookups_ThrowsArgumentNullExceptionNamingTheParameter()
    {
        var attributes = new UserAttributes { Name = "John" };

        attributes.Invoking(a => a.ContainsKey(null!)).Should().Throw<ArgumentNullException>().WithParameterName("key");
        attributes.Invoking(a => a.TryGetValue(null!, out _)).Should().Throw<ArgumentNullException>().WithParameterName("key");
        attributes.Invoking(a => a[null!]).Should().Throw<ArgumentNullException>().WithParameterName("name");
        attributes.Invoking(a => a[null!] = 1).Should().Throw<ArgumentNullException>().WithParameterName("name");
    }

    [Fact]
    public void UserAttributes_ReservedValueOfWrongTypeThroughIndexer_IsRejected()
    {
        _harness.ShouldReject(() => _harness.User.Push(new UserAttributes { ["mobile"] = 9876543210L }), "mobile", "must be a string");
    }
}
