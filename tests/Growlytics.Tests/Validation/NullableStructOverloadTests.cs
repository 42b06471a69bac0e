using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>A nullable struct of attributes reads the same through the generic overloads as through the object ones.</summary>
public sealed class NullableStructOverloadTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void PushIdentifyAndUpdate_NullableStructThroughGenericOverloads_SendItsPropertiesAsTheObjectOverloadDoes()
    {
        Profile? profile = new Profile("Pune", 3);
        _harness.User.Push((object)profile);
        var expected = _harness.Drain().Single().Attributes.Select(a => a.Name + "=" + a.Value).ToList();
        expected.Should().Equal("City=Pune", "Age=3");

        _harness.User.Push(profile);
        _harness.Client.Customers.Update("c-1", profile);
        _harness.User.Identify("u-1", profile);

        _harness.Drain().Select(m => m.Attributes.Select(a => a.Name + "=" + a.Value).ToList())
            .Should().HaveCount(3).And.AllSatisfy(names => names.Should().Equal(expected));
    }

    public readonly record struct Profile(string City, int Age);
}
