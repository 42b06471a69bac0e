using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Customers;

/// <summary>
/// The trim-safe generic overloads of <see cref="GrowlyticsCustomers"/>: an anonymous object binds to them, and so does a
/// concrete dictionary (an identity conversion beats the interface overload), which must still be read as a dictionary.
/// </summary>
public sealed class GenericUpdateTests : IDisposable
{
    private readonly CallerHarness _harness = new(o => o.Protocol = GrowlyticsProtocol.Rest);

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void Update_ConcreteDictionary_IsReadAsADictionaryNotByItsProperties()
    {
        _harness.Client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro", ["visits"] = 3 });
        _harness.Client.Customers.Update("c-1", new SortedDictionary<string, object?> { ["plan"] = "pro", ["visits"] = 3 });

        var messages = _harness.Drain();
        messages.Should().HaveCount(2);
        messages.Should().AllSatisfy(m => Names(m).Should().Equal("plan", "visits"));
    }

    [Fact]
    public async Task UpdateAsync_ConcreteDictionary_IsReadAsADictionaryNotByItsProperties()
    {
        await _harness.Client.Customers.UpdateAsync("c-1", new Dictionary<string, object?> { ["plan"] = "pro" });

        Names(_harness.Drain().Should().ContainSingle().Subject).Should().Equal("plan");
    }

    [Fact]
    public async Task UpdateGeneric_AnonymousObject_ReadsItsProperties()
    {
        _harness.Client.Customers.Update("c-1", new { plan = "pro", visits = 3 });
        await _harness.Client.Customers.UpdateAsync("c-2", new { city = "Pune" });

        var messages = _harness.Drain();
        messages.Select(m => (m.UserId, string.Join(",", Names(m)))).Should().Equal(("c-1", "plan,visits"), ("c-2", "city"));
    }

    [Fact]
    public void UpdateGeneric_ObjectWithoutReadableProperties_IsRejected()
    {
        var act = () => _harness.Client.Customers.Update("c-1", new NoProperties());

        act.Should().Throw<GrowlyticsValidationException>();
        _harness.Drain().Should().BeEmpty();
    }

    private static IEnumerable<string> Names(Messages.UserMessage message) => message.Attributes.Select(a => a.Name);

    private sealed class NoProperties
    {
    }
}
